package org.densenet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.TestNetworks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning's start: the pretrained tensors are copied, all but a classifier of another class count. */
class PretrainedStartTest {

    private static final Normalization IMAGENET =
            new Normalization(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

    @TempDir
    Path tmp;

    /** A pretrained colour model with random weights and BN statistics, as an import would give. */
    private static TrainedModel pretrained(NDManager manager, int classes) {
        return RandomPretrained.of(manager, 3, classes, IMAGENET);
    }

    private static Map<String, float[]> values(DenseNet net) {
        return net.getParameters().stream()
                .collect(Collectors.toMap(
                        Pair::getKey, p -> p.getValue().getArray().toFloatArray()));
    }

    @Test
    void onlyTheClassifierDiffersAfterLoadingIntoAnotherClassCount() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PretrainedStart start = new PretrainedStart(pretrained(manager, 10), false);
            DenseNet net = new DenseNet(start.configFor(5, 0f));
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 28, 28));
            PretrainedStart.Report report = start.copyInto(net, List.of("a", "b", "c", "d", "e"));

            Map<String, float[]> before = values(start.weights().network());
            Map<String, float[]> after = values(net);
            Parameter w = net.head().classifier().getParameters().get("weight");
            Parameter b = net.head().classifier().getParameters().get("bias");
            int same = 0;
            for (Pair<String, Parameter> p : net.getParameters()) {
                if (p.getValue() == w || p.getValue() == b) {
                    assertEquals(5, p.getValue().getArray().getShape().get(0), p.getKey());
                } else {
                    assertArrayEquals(before.get(p.getKey()), after.get(p.getKey()), p.getKey());
                    same++;
                }
            }
            assertEquals(net.getParameters().size() - 2, same);
            assertEquals(same, report.tensors());
            assertTrue(report.classifierReinitialised());
            assertEquals("loaded " + same + " tensors; classifier re-initialised: 10 -> 5 classes", report.describe());
        }
    }

    @Test
    void theClassifierIsKeptForTheSameClassCount() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PretrainedStart start = new PretrainedStart(pretrained(manager, 10), false);
            DenseNet net = new DenseNet(start.configFor(10, 0.2f));
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 28, 28));
            PretrainedStart.Report report =
                    start.copyInto(net, start.weights().spec().classNames());
            assertFalse(report.classifierReinitialised());
            assertEquals(net.getParameters().size(), report.tensors());
            assertEquals(values(start.weights().network()).keySet(), values(net).keySet());
            values(start.weights().network())
                    .forEach((k, v) -> assertArrayEquals(v, values(net).get(k), k));
        }
    }

    @Test
    void theClassifierIsReinitialisedForOtherClassesOfTheSameCount() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PretrainedStart start = new PretrainedStart(pretrained(manager, 3), false);
            DenseNet net = new DenseNet(start.configFor(3, 0f));
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 28, 28));
            float[] fresh = net.head()
                    .classifier()
                    .getParameters()
                    .get("weight")
                    .getArray()
                    .toFloatArray();
            PretrainedStart.Report report = start.copyInto(net, List.of("cat", "dog", "bird"));
            assertTrue(report.classifierReinitialised());
            assertEquals(net.getParameters().size() - 2, report.tensors());
            assertTrue(report.describe().endsWith("3 -> 3 classes (other class names)"), report.describe());
            assertArrayEquals(
                    fresh,
                    net.head()
                            .classifier()
                            .getParameters()
                            .get("weight")
                            .getArray()
                            .toFloatArray());
        }
    }

    @Test
    void anotherArchitectureIsRefusedNamingBoth() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PretrainedStart start = new PretrainedStart(pretrained(manager, 10), false);
            DenseNetConfig other =
                    start.configFor(10, 0f).toBuilder().setGrowthRate(6).build();
            DenseNet net = new DenseNet(other);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 28, 28));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> start.copyInto(net, List.of()));
            assertTrue(e.getMessage().contains("pretrained"), e.getMessage());
            assertTrue(e.getMessage().contains(other.describe().toString()), e.getMessage());
        }
    }

    @Test
    void fineTuningAColourModelOnGreyImagesStartsFromItsWeightsAndNormalization() throws IOException {
        DatasetSplits grey = FashionMnist.splits(64, 32);
        try (NDManager manager = NDManager.newBaseManager()) {
            PretrainedStart start = new PretrainedStart(pretrained(manager, 1000), false);
            PretrainedStart.Report[] heard = new PretrainedStart.Report[1];
            TrainingListener listener = new TrainingListener() {
                @Override
                public void onPretrainedLoaded(PretrainedStart.Report report) {
                    heard[0] = report;
                }
            };
            // A learning rate so small that one epoch leaves the weights where they started.
            TrainingRecipe recipe = new TrainingRecipe(1, 32, 1e-9, 0.9, 0, LearningRateSchedule.STEP, false, 3);
            Path run = tmp.resolve("run");
            TrainingResult result = new DenseNetTrainer(recipe, run, listener)
                    .startFrom(start)
                    .train("pretrained", start.configFor(10, 0f), grey, false);

            assertNotNull(heard[0]);
            assertEquals("1000 -> 10", heard[0].pretrainedClasses() + " -> " + heard[0].classes());
            assertArrayEquals(IMAGENET.mean(), result.spec().normalization().mean());
            assertArrayEquals(IMAGENET.std(), result.spec().normalization().std());
            assertEquals(3, result.spec().config().inputChannels());
            TrainedModel tuned = ModelFiles.open(result.checkpoint(), manager);
            Parameter stemBefore =
                    start.weights().network().getParameters().get(0).getValue();
            Parameter stemAfter = tuned.network().getParameters().get(0).getValue();
            TestNetworks.assertClose(
                    stemBefore.getArray().toFloatArray(), stemAfter.getArray().toFloatArray(), "stem convolution");
        }
    }

    @Test
    void refitNormalizationComputesItFromTheTrainingImages() throws IOException {
        DatasetSplits grey = FashionMnist.splits(64, 32);
        try (NDManager manager = NDManager.newBaseManager()) {
            PretrainedStart start = new PretrainedStart(pretrained(manager, 10), true);
            TrainingRecipe recipe = new TrainingRecipe(1, 32, 0.01, 0.9, 0, LearningRateSchedule.STEP, false, 3);
            TrainingResult result = new DenseNetTrainer(recipe, tmp.resolve("refit"), null)
                    .startFrom(start)
                    .train("pretrained", start.configFor(10, 0f), grey, false);
            Normalization fitted = Normalization.fit(grey.asChannels(3).train());
            assertArrayEquals(fitted.mean(), result.spec().normalization().mean());
            assertFalse(result.spec().normalization().mean()[0] == IMAGENET.mean()[0]);
        }
    }
}
