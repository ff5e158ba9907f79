package org.densenet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.Freeze;
import org.densenet4j.model.TestNetworks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The linear probe's fast path: cached features are the full forward pass's, and training gives the same result. */
class LinearProbeTest {

    private static final Normalization GREY = new Normalization(new float[] {0.29f}, new float[] {0.35f});

    @TempDir
    Path tmp;

    /** The same random pretrained network on every call. */
    private static TrainedModel pretrained(NDManager manager) {
        return RandomPretrained.of(manager, 1, 10, GREY);
    }

    @Test
    void cachedFeaturesEqualTheFullForwardPassImageByImage() throws IOException {
        ImageDataset images = FashionMnist.splits(40, 8).train();
        try (NDManager manager = NDManager.newBaseManager()) {
            DenseNet net = pretrained(manager).network();
            FeatureCache cache = FeatureCache.compute(net, images, GREY, 16, manager);
            ParameterStore ps = new ParameterStore(manager, false);
            for (int i = 0; i < images.size(); i++) {
                float[] x = new float[28 * 28];
                GREY.apply(images.pixels(i), x, 0);
                NDArray one = manager.create(x, new Shape(1, 1, 28, 28));
                float[] expected = net.features(ps, one).toFloatArray();
                TestNetworks.assertClose(expected, cache.features(i), "features of image " + i);
            }
            assertEquals(net.head().features(), cache.dimension());
        }
    }

    private float[] classifierAfterProbe(boolean fast, String run) throws IOException {
        DatasetSplits data = FashionMnist.splits(200, 32);
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel start = pretrained(manager);
            TrainingRecipe recipe = new TrainingRecipe(2, 32, 0.05, 0.9, 1e-4, LearningRateSchedule.STEP, false, 9)
                    .fineTuning(Freeze.FEATURES, 1);
            TrainingResult r = new DenseNetTrainer(recipe, tmp.resolve(run), null)
                    .startFrom(new PretrainedStart(start, false))
                    .cacheFeatures(fast)
                    .train("pretrained", start.spec().config(), data, false);
            TrainedModel trained = ModelFiles.open(r.checkpoint(), manager);
            return trained.network()
                    .head()
                    .classifier()
                    .getParameters()
                    .get("weight")
                    .getArray()
                    .toFloatArray();
        }
    }

    @Test
    void theFastPathTrainsTheClassifierAsTheSlowPathDoes() throws IOException {
        float[] slow = classifierAfterProbe(false, "slow");
        float[] fast = classifierAfterProbe(true, "fast");
        TestNetworks.assertClose(slow, fast, "classifier after two epochs");
    }
}
