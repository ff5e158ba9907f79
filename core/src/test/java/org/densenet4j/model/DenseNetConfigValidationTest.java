package org.densenet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class DenseNetConfigValidationTest {

    private static DenseNetConfig.Builder valid() {
        return DenseNetConfig.builder().setGrowthRate(12).setBlockLayers(16, 16, 16);
    }

    private static void assertRejected(Supplier<?> build, String... mustMention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::get);
        for (String word : mustMention) {
            assertTrue(e.getMessage().contains(word), "'" + e.getMessage() + "' should mention " + word);
        }
    }

    /** A hostile description listing a million blocks is refused before the list is walked (it once took minutes). */
    @Test
    void theNumberOfBlocksIsBounded() {
        int[] million = new int[1_000_000];
        java.util.Arrays.fill(million, 6);
        assertRejected(() -> valid().setBlockLayers(million).build(), "1000000 dense blocks", "at most 1024");
    }

    @Test
    void growthRateMustBePositive() {
        assertRejected(() -> valid().setGrowthRate(0).build(), "growth rate", "0", "positive");
        assertRejected(() -> valid().setGrowthRate(-3).build(), "-3");
    }

    @Test
    void compressionMustLieInZeroToOne() {
        assertRejected(() -> valid().optCompression(0).build(), "theta", "(0, 1]", "0.0");
        assertRejected(() -> valid().optCompression(1.5).build(), "(0, 1]", "1.5");
        assertEquals(0.5, valid().optCompression(0.5).build().compression());
    }

    @Test
    void otherSettingsAreChecked() {
        assertRejected(() -> valid().optDropRate(1f).build(), "drop rate", "[0, 1)");
        assertRejected(() -> valid().optInputChannels(2).build(), "input channels", "1", "3", "2");
        assertRejected(() -> valid().optClasses(0).build(), "classes");
        assertRejected(() -> valid().setBlockLayers(4, 0).build(), "at least one layer");
        assertRejected(() -> valid().optBottleneckWidth(0).build(), "bottleneck width");
    }

    @Test
    void bcDepthMustFitThePaperFormula() {
        assertRejected(() -> Presets.named("densenet-bc-101-12"), "L=101", "6n + 4");
        assertRejected(() -> Presets.named("densenet-41-12"), "L=41", "3n + 4");
        assertRejected(() -> Presets.named("densenet-bc-100-0"), "k=0");
        assertEquals(16, Presets.named("densenet-bc-100-12").config().blockLayers()[0]);
        assertEquals(6, Presets.named("densenet-bc-40-8").config().blockLayers()[2]);
    }

    @Test
    void unknownPresetListsTheValidNames() {
        assertRejected(() -> Presets.named("resnet50"), "resnet50", "densenet121", "cifar-densenet", "densenet-bc-L-k");
    }

    @Test
    void stemWidthFollowsThePaper() {
        assertEquals(16, Presets.named("densenet-40-12").config().stemWidth());
        assertEquals(24, Presets.named("densenet-bc-100-12").config().stemWidth());
        assertEquals(96, Presets.named("densenet161").config().stemWidth());
        assertEquals(64, Presets.named("cifar-densenet121").config().stemWidth());
    }

    /** Every field, compared directly: a field missing from the settings list would not survive. */
    private static void assertSameFields(DenseNetConfig expected, DenseNetConfig actual) throws Exception {
        for (java.lang.reflect.Field f : DenseNetConfig.class.getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            f.setAccessible(true);
            assertTrue(
                    java.util.Objects.deepEquals(f.get(expected), f.get(actual)),
                    f.getName() + " differs: "
                            + java.util.Arrays.deepToString(new Object[] {f.get(expected)}) + " vs "
                            + java.util.Arrays.deepToString(new Object[] {f.get(actual)}));
        }
    }

    @Test
    void descriptionAndBuilderRoundTripEveryField() throws Exception {
        for (Preset preset : Presets.all()) {
            DenseNetConfig c = preset.builder()
                    .optDropRate(0.2f)
                    .optClasses(7)
                    .optInputChannels(1)
                    .build();
            assertSameFields(c, DenseNetConfig.fromDescription(c.describe()));
            assertSameFields(c, c.toBuilder().build());
            assertEquals(c, DenseNetConfig.fromDescription(c.describe()));
        }
        DenseNetConfig other =
                Presets.named("cifar-densenet").builder().optBottleneckWidth(2).build();
        assertTrue(!other.equals(Presets.named("cifar-densenet").config()), "equality sees every setting");
    }
}
