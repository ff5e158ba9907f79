package org.densenet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DenseNetShapeTest {

    @Test
    void densenet121EndsWith1024Features() {
        assertEquals(1024, DenseNet.preset("densenet121").head().features());
        assertEquals(2208, DenseNet.preset("densenet161").head().features());
        assertEquals(342, DenseNet.preset("densenet-bc-100-12").head().features());
    }

    @ParameterizedTest(name = "{0} on {1}x{2}x{3} gives {4} logits")
    @CsvSource({
        "densenet121, 3, 224, 224, 1000",
        "densenet121, 3, 97, 131, 5",
        "densenet121, 1, 32, 32, 10",
        "densenet-bc-100-12, 3, 32, 32, 10",
        "densenet-40-12, 1, 28, 28, 10",
        "cifar-densenet, 3, 32, 32, 100",
        "cifar-densenet121, 3, 40, 24, 10",
    })
    void forwardGivesOneLogitRowPerImage(String name, int channels, int h, int w, int classes) {
        TestNetworks.assumeCorrectConvolutions(); // densenet121 kills the JVM where they are not
        DenseNetConfig config = Presets.named(name)
                .builder()
                .optInputChannels(channels)
                .optClasses(classes)
                .build();
        DenseNet net = new DenseNet(config);
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape input = new Shape(2, channels, h, w);
            net.initialize(manager, DataType.FLOAT32, input);
            NDArray out = net.forward(
                            new ParameterStore(manager, false), new NDList(manager.randomNormal(input)), false)
                    .singletonOrThrow();
            assertEquals(new Shape(2, classes), out.getShape());
            assertEquals(new Shape(2, classes), net.getOutputShapes(new Shape[] {input})[0]);
        }
    }

    static java.util.stream.Stream<Preset> registry() {
        return Presets.all().stream();
    }

    /** Every registered preset, grey and colour, through the plain and the folded network at its smallest input. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("registry")
    void everyRegisteredPresetRunsAtItsSmallestInput(Preset preset) {
        for (int channels : new int[] {1, 3}) {
            DenseNetConfig config =
                    preset.builder().optInputChannels(channels).optClasses(7).build();
            int side = config.minimumInputSize();
            DenseNet net = new DenseNet(config);
            try (NDManager manager = NDManager.newBaseManager()) {
                Shape input = new Shape(1, channels, side, side);
                net.initialize(manager, DataType.FLOAT32, input);
                NDArray x = manager.randomNormal(input);
                ParameterStore ps = new ParameterStore(manager, false);
                float[] plain =
                        net.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
                assertEquals(7, plain.length, preset.name());
                try (FoldedDenseNet folded = FoldedDenseNet.of(net, manager)) {
                    float[] fast = folded.forward(ps, new NDList(x), false)
                            .singletonOrThrow()
                            .toFloatArray();
                    for (int i = 0; i < plain.length; i++) {
                        assertEquals(plain[i], fast[i], 1e-3 * (1 + Math.abs(plain[i])), preset.name() + " logit " + i);
                    }
                }
            }
        }
    }

    @Test
    void summaryShapesFollowThePaperForDensenet121() {
        ModelSummary s = ModelSummary.of(Presets.named("densenet121").config(), new Shape(3, 224, 224));
        assertEquals(new Shape(64, 56, 56), s.stages().get(0).outputShape());
        assertEquals(new Shape(256, 56, 56), s.stages().get(1).outputShape());
        assertEquals(new Shape(128, 28, 28), s.stages().get(2).outputShape());
        assertEquals(new Shape(1024, 7, 7), s.stages().get(7).outputShape());
        assertEquals("head", s.stages().get(8).name());
        assertEquals(new Shape(1000), s.stages().get(8).outputShape());
    }

    @Test
    void inputBelowTheMinimumNamesTheMinimum() {
        DenseNetConfig config = Presets.named("densenet121").config();
        assertEquals(29, config.minimumInputSize());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ModelSummary.of(config, new Shape(3, 28, 28)));
        assertTrue(e.getMessage().contains("28x28") && e.getMessage().contains("29x29"), e.getMessage());
        assertEquals(4, Presets.named("densenet-bc-100-12").config().minimumInputSize());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "INPUT_FIRST, 0, 5",
        "NEW_FEATURES_FIRST, 4, 9",
    })
    void concatOrderPlacesTheBlockInputWhereTheLayoutExpects(ConcatOrder order, int from, int to) {
        DenseNetConfig config = DenseNetConfig.builder()
                .setGrowthRate(4)
                .setBlockLayers(1)
                .optConcatOrder(order)
                .build();
        DenseBlock block = new DenseBlock("denseblock1", 5, 1, config);
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape shape = new Shape(2, 5, 6, 6);
            block.initialize(manager, DataType.FLOAT32, shape);
            NDArray x = manager.randomNormal(shape);
            NDArray y = block.forward(new ParameterStore(manager, false), new NDList(x), false)
                    .singletonOrThrow();
            assertEquals(new Shape(2, 9, 6, 6), y.getShape());
            assertArrayEquals(
                    x.toFloatArray(), y.get(new NDIndex(":, {}:{}", from, to)).toFloatArray());
        }
    }
}
