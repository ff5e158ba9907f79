package org.densenet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The count a file's description is checked against, before anything is built, equals what the built network
 * stores: for every registered preset, grey and colour input, and a basic-layer CIFAR model.
 */
class StoredValuesTest {

    static Stream<DenseNetConfig> configs() {
        return Stream.concat(
                Presets.all().stream()
                        .flatMap(p -> Stream.of(
                                p.config(7).toBuilder().optInputChannels(1).build(),
                                p.config(10).toBuilder().optInputChannels(3).build())),
                Stream.of(Presets.named("densenet-22-6").config(5)));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void storedValuesCountsEveryNumberTheNetworkHolds(DenseNetConfig config) {
        DenseNet network = new DenseNet(config);
        try (NDManager manager = NDManager.newBaseManager()) {
            network.initialize(manager, DataType.FLOAT32, new Shape(1, config.inputChannels(), 64, 64));
            long stored = 0;
            for (Pair<String, Parameter> p : network.getParameters()) {
                stored += p.getValue().getArray().size();
            }
            assertEquals(
                    (double) stored, config.storedValues(), config.describe().toString());
        }
    }
}
