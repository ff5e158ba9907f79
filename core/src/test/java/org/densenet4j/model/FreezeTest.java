package org.densenet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.train.DenseNetTrainer;
import org.densenet4j.train.FashionMnist;
import org.densenet4j.train.LearningRateSchedule;
import org.densenet4j.train.PretrainedStart;
import org.densenet4j.train.RandomPretrained;
import org.densenet4j.train.TrainingRecipe;
import org.densenet4j.train.TrainingResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning controls: a frozen part is bit-identical after training steps; the backbone's rate scales. */
class FreezeTest {

    @TempDir
    Path tmp;

    private static TrainedModel pretrained(NDManager manager) {
        return RandomPretrained.of(manager, 1, 10, new Normalization(new float[] {0.29f}, new float[] {0.35f}));
    }

    /** Every tensor (weights and BN statistics) after two steps of fine-tuning from {@link #pretrained}. */
    private Map<String, float[]> fineTune(TrainedModel start, Freeze freeze, double backboneScale, String run)
            throws IOException {
        DatasetSplits data = FashionMnist.splits(64, 16);
        TrainingRecipe recipe = new TrainingRecipe(1, 32, 0.05, 0.9, 1e-4, LearningRateSchedule.STEP, false, 5)
                .fineTuning(freeze, backboneScale);
        TrainingResult r = new DenseNetTrainer(recipe, tmp.resolve(run), null)
                .startFrom(new PretrainedStart(start, false))
                .train("pretrained", start.spec().config(), data, false);
        try (NDManager manager = NDManager.newBaseManager()) {
            return values(ModelFiles.open(r.checkpoint(), manager).network());
        }
    }

    private static Map<String, float[]> values(DenseNet net) {
        return net.getParameters().stream()
                .collect(Collectors.toMap(
                        Pair::getKey, p -> p.getValue().getArray().toFloatArray()));
    }

    private static boolean isFrozen(String name, Freeze freeze) {
        if (freeze.features()) {
            return !name.contains("classifier");
        }
        return name.contains("stem") || name.contains("denseblock1") || name.contains("transition1");
    }

    private void checkOnlyTheFrozenPartIsFixed(Freeze freeze) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel start = pretrained(manager);
            Map<String, float[]> before = values(start.network());
            Map<String, float[]> after = fineTune(start, freeze, 1, freeze.cliName());
            int frozen = 0;
            int changed = 0;
            for (Map.Entry<String, float[]> e : before.entrySet()) {
                if (isFrozen(e.getKey(), freeze)) {
                    assertArrayEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " is frozen");
                    frozen++;
                } else if (!Arrays.equals(e.getValue(), after.get(e.getKey()))) {
                    changed++;
                }
            }
            assertTrue(frozen > 0, "some tensors are frozen");
            assertTrue(changed > 0, "the rest trains");
            // BN statistics count too: the frozen part's running means are among the identical tensors.
            assertTrue(
                    before.keySet().stream()
                            .anyMatch(
                                    k -> isFrozen(k, freeze) && k.toLowerCase().contains("running")),
                    "frozen BN statistics were compared");
        }
    }

    @Test
    void freezingBlockOneKeepsTheStemBlockOneAndTransitionOneBitIdentical() throws IOException {
        checkOnlyTheFrozenPartIsFixed(Freeze.throughBlock(1));
    }

    @Test
    void freezingTheFeaturesTrainsOnlyTheClassifier() throws IOException {
        checkOnlyTheFrozenPartIsFixed(Freeze.FEATURES);
    }

    @Test
    void aSmallerBackboneRateMovesTheBackboneProportionallyLess() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel start = pretrained(manager);
            Map<String, float[]> before = values(start.network());
            Map<String, float[]> full = fineTune(start, Freeze.NONE, 1, "full");
            Map<String, float[]> tenth = fineTune(start, Freeze.NONE, 0.1, "tenth");
            String stemWeight = start.network().getParameters().get(0).getKey();
            float[] w0 = before.get(stemWeight);
            double movedFull = 0;
            double movedTenth = 0;
            for (int i = 0; i < w0.length; i++) {
                movedFull += Math.abs(full.get(stemWeight)[i] - w0[i]);
                movedTenth += Math.abs(tenth.get(stemWeight)[i] - w0[i]);
            }
            assertTrue(movedFull > 0);
            // Two steps, so the second one's gradient differs slightly: the ratio is near, not exactly, 0.1.
            assertEquals(0.1, movedTenth / movedFull, 0.03, "backbone movement ratio");
        }
    }

    @Test
    void parsesTheCommandLineNamesAndRefusesOthers() {
        assertEquals(Freeze.NONE, Freeze.parse("none"));
        assertEquals(Freeze.FEATURES, Freeze.parse("features"));
        assertEquals(Freeze.throughBlock(2), Freeze.parse("block2"));
        assertEquals("block3", Freeze.parse("block3").cliName());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Freeze.parse("layers"));
        assertTrue(e.getMessage().contains("'layers'") && e.getMessage().contains("blockN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Freeze.parse("block0"));
        DenseNetConfig threeBlocks =
                TestNetworks.small(LayerType.BASIC, ConcatOrder.INPUT_FIRST, StemType.CIFAR, 1, 10);
        IllegalArgumentException tooMany = assertThrows(
                IllegalArgumentException.class, () -> Freeze.parse("block4").checkFits(threeBlocks));
        assertTrue(tooMany.getMessage().contains("1..3"), tooMany.getMessage());
        assertFalse(Freeze.parse("block3").isNone());
    }
}
