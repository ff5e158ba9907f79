package org.densenet4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.StemType;
import org.densenet4j.model.TestNetworks;

/**
 * A small "pretrained" model for fine-tuning tests, as an import would give one: random weights and BN statistics
 * (the same on every call), classes named c0, c1, ..., 28x28 inputs.
 */
public final class RandomPretrained {

    private RandomPretrained() {}

    public static TrainedModel of(NDManager manager, int channels, int classes, Normalization normalization) {
        Engine.getInstance().setRandomSeed(17);
        DenseNetConfig config =
                TestNetworks.small(LayerType.BOTTLENECK, ConcatOrder.INPUT_FIRST, StemType.CIFAR, channels, classes);
        DenseNet net = new DenseNet(config);
        net.initialize(manager, DataType.FLOAT32, new Shape(1, channels, 28, 28));
        TestNetworks.randomizeNorms(net, manager);
        List<String> names = IntStream.range(0, classes).mapToObj(i -> "c" + i).collect(Collectors.toList());
        return new TrainedModel(new ModelSpec("pretrained", config, 28, 28, names, normalization), net);
    }
}
