package org.densenet4j.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.densenet4j.data.Normalization;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.TestNetworks;
import org.densenet4j.torch.TorchFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CAM and Grad-CAM equal PyTorch's for the same weights and inputs (scripts/make_torch_fixtures.py, PyTorch
 * 1.13): within 1e-4 of the largest value, for torchvision's layout and the blog code's.
 */
class ExplanationParityTest {

    static List<String> fixtures() {
        return TorchFixture.names();
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void mapsEqualPyTorchs(String name) throws Exception {
        TorchFixture f = TorchFixture.load(name);
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = f.network(m);
            NDArray input = f.npy(m, "input.npy");
            NDArray cam = f.npy(m, "cam.npy");
            NDArray last = f.npy(m, "gradcam_last.npy");
            NDArray inner = f.npy(m, "gradcam_block1.npy");
            int classes = f.config().classes();
            float[] ones = {1, 1, 1};
            ModelSpec spec = new ModelSpec(
                    name,
                    f.config(),
                    (int) input.getShape().get(2),
                    (int) input.getShape().get(3),
                    IntStream.range(0, classes).mapToObj(i -> "c" + i).collect(Collectors.toList()),
                    new Normalization(new float[3], ones));
            Explainer explainer = new Explainer(net, spec, m);
            int blocks = explainer.blocks();
            for (int n = 0; n < input.getShape().get(0); n++) {
                NDArray image = input.get(n).expandDims(0);
                for (int k = 0; k < classes; k++) {
                    Explanation e = explainer.explain(image, Integer.toString(k), Explainer.Method.CAM, blocks);
                    assertArrayEquals(
                            Arrays.copyOfRange(cam.getShape().getShape(), 2, 4), new long[] {e.height(), e.width()});
                    TestNetworks.assertClose(
                            cam.get(n, k).toFloatArray(), e.map(), name + " CAM image " + n + " class " + k);
                }
                TestNetworks.assertClose(
                        last.get(n).toFloatArray(),
                        explainer
                                .explain(image, "1", Explainer.Method.GRAD_CAM, blocks)
                                .map(),
                        name + " Grad-CAM of the final maps, image " + n);
                Explanation block1 = explainer.explain(image, "1", Explainer.Method.GRAD_CAM, 1);
                assertArrayEquals(
                        Arrays.copyOfRange(inner.getShape().getShape(), 1, 3),
                        new long[] {block1.height(), block1.width()});
                TestNetworks.assertClose(
                        inner.get(n).toFloatArray(), block1.map(), name + " Grad-CAM of block 1, image " + n);
            }
        }
    }
}
