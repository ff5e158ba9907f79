package org.densenet4j.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import org.densenet4j.data.Batch;
import org.densenet4j.data.BatchLoader;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.FoldedDenseNet;

/**
 * Evaluates a model in inference mode (BN running statistics, no dropout) on a labelled set: a DenseNet through a
 * {@link FoldedDenseNet} of its current weights, or any other {@link InferenceModel}.
 */
public final class Evaluator {

    private Evaluator() {}

    /** Evaluates a DenseNet's current weights through its folded inference network. */
    public static EvaluationReport evaluate(
            DenseNet network, ModelSpec spec, ImageDataset data, int batchSize, NDManager manager) {
        return evaluate(new TrainedModel(spec, network), data, batchSize, manager);
    }

    /** Evaluates any inference model (a DenseNet's folded network, a TorchScript module). */
    public static EvaluationReport evaluate(InferenceModel model, ImageDataset data, int batchSize, NDManager manager) {
        ModelSpec spec = model.spec();
        int k = spec.config().classes();
        long[][] confusion = new long[k][k];
        double lossSum = 0;
        long top5 = 0;
        int n = 0;
        ParameterStore ps = new ParameterStore(manager, false);
        try (NDManager scope = manager.newSubManager();
                BatchLoader loader = BatchLoader.evaluation(data, batchSize, spec.normalization())) {
            ai.djl.nn.Block block = model.inferenceBlock(scope);
            while (loader.hasNext()) {
                Batch b = loader.next();
                if (b.count() == 0) {
                    continue;
                }
                try (NDManager batch = manager.newSubManager()) {
                    NDArray x = batch.create(b.data(), spec.batchShape(b.count()));
                    NDArray logits = block.forward(ps, new NDList(x), false).singletonOrThrow();
                    NDArray logProb = logits.logSoftmax(1);
                    float[] lp = logProb.toFloatArray();
                    for (int i = 0; i < b.count(); i++) {
                        int label = b.labels()[i];
                        int best = 0;
                        int higher = 0;
                        float target = lp[i * k + label];
                        for (int c = 0; c < k; c++) {
                            float v = lp[i * k + c];
                            if (v > lp[i * k + best]) {
                                best = c;
                            }
                            if (v > target) {
                                higher++;
                            }
                        }
                        confusion[label][best]++;
                        if (higher < 5) {
                            top5++;
                        }
                        lossSum -= target;
                    }
                    n += b.count();
                }
            }
            long right = 0;
            for (int i = 0; i < k; i++) {
                right += confusion[i][i];
            }
            return new EvaluationReport(
                    n,
                    n == 0 ? Double.NaN : lossSum / n,
                    n == 0 ? 0 : right / (double) n,
                    n == 0 ? 0 : top5 / (double) n,
                    data.classNames(),
                    confusion,
                    loader.skippedImages());
        }
    }
}
