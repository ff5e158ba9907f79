package org.densenet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pins every preset's trainable parameter count to ANCHORS.md (counted from PyTorch models). */
class PresetParameterCountTest {

    @ParameterizedTest(name = "{0} with {1} classes has {2} parameters")
    @CsvSource({
        "densenet121, 1000, 7978856",
        "densenet169, 1000, 14149480",
        "densenet201, 1000, 20013928",
        "densenet161, 1000, 28681000",
        "densenet264, 1000, 33337704",
        "densenet-40-12, 10, 1019722",
        "densenet-40-12, 100, 1060132",
        "densenet-100-12, 10, 6979642",
        "densenet-100-12, 100, 7084852",
        "densenet-100-24, 10, 27249082",
        "densenet-100-24, 100, 27457972",
        "densenet-bc-100-12, 10, 769162",
        "densenet-bc-100-12, 100, 800032",
        "densenet-bc-250-24, 10, 15324406",
        "densenet-bc-250-24, 100, 15480556",
        "densenet-bc-190-40, 10, 25624430",
        "densenet-bc-190-40, 100, 25821620",
        "cifar-densenet121, 10, 6956298",
        "cifar-densenet169, 10, 12493322",
        "cifar-densenet201, 10, 18104330",
        "cifar-densenet161, 10, 26482378",
        "cifar-densenet, 10, 1000618",
    })
    void presetHasReferenceParameterCount(String name, int classes, long expected) {
        Preset preset = Presets.named(name);
        int size = preset.inputSize();
        ModelSummary summary = ModelSummary.of(preset.config(classes), new Shape(3, size, size));
        assertEquals(expected, summary.parameters(), name);
        long stageSum = summary.stages().stream()
                .mapToLong(ModelSummary.StageSummary::parameters)
                .sum();
        assertEquals(expected, stageSum, "stage rows of " + name + " add up to the total");
    }

    @ParameterizedTest(name = "{0} at {1}x{1} has {2} GMACs")
    @CsvSource({
        "densenet121, 224, 2.8342",
        "densenet169, 224, 3.3598",
        "densenet201, 224, 4.2914",
        "densenet161, 224, 7.7279",
        "densenet-bc-100-12, 32, 0.2879",
        "cifar-densenet121, 32, 0.8884",
    })
    void presetMacsMatchAnchorsWithinATenthOfAPercent(String name, int size, double gmacs) {
        ModelSummary summary = ModelSummary.of(Presets.named(name).config(), new Shape(3, size, size));
        double actual = summary.macs() / 1e9;
        assertEquals(gmacs, actual, gmacs * 1e-3, name + " MACs");
    }

    /** No registered preset escapes the anchors: each is one of the rows above. */
    @org.junit.jupiter.api.Test
    void everyRegisteredPresetIsPinnedToAnAnchor() throws Exception {
        String rows = java.util.Arrays.toString(getClass()
                .getDeclaredMethod("presetHasReferenceParameterCount", String.class, int.class, long.class)
                .getAnnotation(CsvSource.class)
                .value());
        for (String name : Presets.names()) {
            org.junit.jupiter.api.Assertions.assertTrue(rows.contains(name + ", "), name + " has no anchored count");
        }
    }
}
