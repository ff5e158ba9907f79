package org.densenet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.StemType;
import org.densenet4j.model.TestFamilies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The memory-efficient step leaves exactly what the plain step leaves: gradients, loss, BN statistics. */
class MemoryEfficientStepTest {

    static Stream<Arguments> networks() {
        return TestFamilies.all().stream().map(f -> Arguments.of(f.layerType(), f.order(), f.stem(), f.channels()));
    }

    private static DenseNetConfig config(
            LayerType layerType, ConcatOrder order, StemType stem, int channels, float dropRate) {
        return DenseNetConfig.builder()
                .setGrowthRate(4)
                .setBlockLayers(1, 3, 2)
                .optLayerType(layerType)
                .optConcatOrder(order)
                .optStem(stem)
                .optStemWidth(8)
                .optCompression(0.5)
                .optClasses(3)
                .optInputChannels(channels)
                .optDropRate(dropRate)
                .build();
    }

    /** Runs one forward/backward from fixed weights; returns every gradient and BN statistic, and the loss. */
    private static Map<String, float[]> afterOnePass(DenseNetConfig config, Shape shape, TrainingStep step) {
        Engine.getInstance().setRandomSeed(7);
        Map<String, float[]> out = new LinkedHashMap<>();
        try (Model model = Model.newInstance("me-test")) {
            model.setBlock(new DenseNet(config));
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(NesterovSgd.builder().build()))) {
                trainer.initialize(shape);
                NDManager m = trainer.getManager();
                NDArray x = m.randomNormal(shape);
                NDArray y = m.create(new float[] {0, 1, 2, 0, 1, 2});
                for (int pass = 0; pass < 2; pass++) { // twice: gradients must be cleared, not accumulated
                    out.put("loss", new float[] {
                        step.forwardBackward(trainer, TrainingPass.FLOAT32, x, y)
                                .loss()
                    });
                }
                for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                    NDArray a = p.getValue().getArray();
                    out.put(p.getKey(), (p.getValue().requiresGradient() ? a.getGradient() : a).toFloatArray());
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("networks")
    void sameGradientsAndStatisticsAsThePlainStep(LayerType layerType, ConcatOrder order, StemType stem, int channels) {
        DenseNetConfig config = config(layerType, order, stem, channels, 0);
        Shape shape = stem == StemType.IMAGENET ? new Shape(6, channels, 32, 32) : new Shape(6, channels, 12, 12);
        Map<String, float[]> plain = afterOnePass(config, shape, TrainingStep.PLAIN);
        Map<String, float[]> efficient = afterOnePass(config, shape, TrainingStep.MEMORY_EFFICIENT);
        assertEquals(plain.keySet(), efficient.keySet());
        for (String key : plain.keySet()) {
            float[] expected = plain.get(key);
            float[] actual = efficient.get(key);
            float scale = 0;
            for (float v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertTrue(scale > 0 || key.contains("running"), key + " is all zeros: nothing was compared");
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-5 * Math.max(1, scale), key + "[" + i + "]");
            }
        }
    }

    @Test
    void dropoutIsRefusedBeforeTraining() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainingStep.MEMORY_EFFICIENT.checkSupports(
                        config(LayerType.BOTTLENECK, ConcatOrder.INPUT_FIRST, StemType.CIFAR, 3, 0.2f)));
        assertTrue(e.getMessage().contains("drop rate 0.2"), e.getMessage());
    }
}
