package org.densenet4j.model;

import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The folded inference network computes what the plain eval-mode DenseNet computes. */
class FoldedDenseNetTest {

    /**
     * Every family at an odd side (pooling floors), and the one combination no family has: basic layers in the blog
     * code's concatenation order.
     */
    static Stream<Arguments> networks() {
        return Stream.concat(
                TestFamilies.all().stream()
                        .map(f -> Arguments.of(
                                f.layerType(),
                                f.order(),
                                f.stem(),
                                new Shape(4, f.channels(), f.side() + 1, f.side() + 1))),
                Stream.of(Arguments.of(
                        LayerType.BASIC, ConcatOrder.NEW_FEATURES_FIRST, StemType.CIFAR, new Shape(3, 3, 12, 12))));
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("networks")
    void sameLogitsAsThePlainNetwork(LayerType layerType, ConcatOrder order, StemType stem, Shape shape) {
        DenseNetConfig config = TestNetworks.small(layerType, order, stem, (int) shape.get(1), 5);
        Engine.getInstance().setRandomSeed(3);
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(config);
            net.initialize(m, DataType.FLOAT32, shape);
            TestNetworks.randomizeNorms(net, m);
            NDArray x = m.randomNormal(shape);
            ParameterStore ps = new ParameterStore(m, false);
            float[] expected =
                    net.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
            try (FoldedDenseNet folded = FoldedDenseNet.of(net, m)) {
                float[] actual = folded.forward(ps, new NDList(x), false)
                        .singletonOrThrow()
                        .toFloatArray();
                TestNetworks.assertClose(expected, actual, "logits");
            }
        }
    }

    @Test
    void refusesTraining() {
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = DenseNet.preset("densenet-bc-40-12", 10);
            Shape shape = new Shape(1, 3, 32, 32);
            net.initialize(m, DataType.FLOAT32, shape);
            try (FoldedDenseNet folded = FoldedDenseNet.of(net, m)) {
                assertThrows(
                        IllegalStateException.class,
                        () -> folded.forward(new ParameterStore(m, false), new NDList(m.zeros(shape)), true));
            }
        }
    }
}
