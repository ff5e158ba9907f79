package org.densenet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class NesterovSgdTest {

    @Test
    void twoStepsMatchPyTorchsNesterovFormula() {
        NesterovSgd sgd = NesterovSgd.builder()
                .optLearningRate(0.1f)
                .optMomentum(0.9f)
                .optWeightDecays(0.01f)
                .build();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f, -2f});
            sgd.update("w", w, m.create(new float[] {0.5f, 0.25f}));
            sgd.update("w", w, m.create(new float[] {-1f, 2f}));
            // Reference computed by hand with torch.optim.SGD's rules.
            double[] expected = new double[2];
            double[] w0 = {1, -2};
            double[][] grads = {{0.5, 0.25}, {-1, 2}};
            for (int i = 0; i < 2; i++) {
                double x = w0[i];
                double buf = 0;
                for (int t = 0; t < 2; t++) {
                    double g = grads[t][i] + 0.01 * x;
                    buf = t == 0 ? g : 0.9 * buf + g;
                    x -= 0.1 * (g + 0.9 * buf);
                }
                expected[i] = x;
            }
            float[] actual = w.toFloatArray();
            assertArrayEquals(new float[] {(float) expected[0], (float) expected[1]}, actual, 1e-6f);
        }
    }
}
