package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * A transition between dense blocks: BN-ReLU-1x1 conv to floor(theta*m) channels, then 2x2 average
 * pooling with stride 2, halving the feature maps.
 */
public final class Transition extends AbstractBlock implements Stage {

    /** The 2x2 average pool with stride 2 that halves the feature maps. */
    static final Shape POOL = new Shape(2, 2);

    private final String name;
    private final int inputChannels;
    private final int outputChannels;
    private final float dropRate;
    private final BatchNorm norm;
    private final Conv2d conv;

    Transition(String name, int inputChannels, int outputChannels, float dropRate) {
        super((byte) 1);
        this.name = name;
        this.inputChannels = inputChannels;
        this.outputChannels = outputChannels;
        this.dropRate = dropRate;
        this.norm = addChildBlock("norm", Layers.batchNorm());
        this.conv = addChildBlock("conv", Layers.conv(outputChannels, 1, 1, 0));
    }

    @Override
    public String stageName() {
        return name;
    }

    public BatchNorm norm() {
        return norm;
    }

    public Conv2d conv() {
        return conv;
    }

    public int outputChannels() {
        return outputChannels;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray activated = Layers.normRelu(norm, ps, inputs, training, params);
        if (dropRate > 0 && training) { // the paper's order: dropout acts on the conv's output
            NDArray x = Layers.dropout(Layers.convAndClose(conv, ps, activated, training, params), dropRate, true);
            return new NDList(pool(x));
        }
        // A 1x1 conv and an average pool are both linear and act on different axes, so they commute: pooling
        // first gives the conv a quarter of the pixels (for DenseNet-BC-100, 12% of all MACs become 3%).
        return new NDList(Layers.convAndClose(conv, ps, pool(activated), training, params));
    }

    /** 2x2 average pooling with stride 2; closes its input. */
    private static NDArray pool(NDArray x) {
        NDArray pooled = Pool.avgPool2d(x, POOL, POOL, new Shape(0, 0), false, true);
        x.close();
        return pooled;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {new Shape(in.get(0), outputChannels, in.get(2) / 2, in.get(3) / 2)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        norm.initialize(manager, dataType, inputShapes[0]);
        conv.initialize(manager, dataType, inputShapes[0]);
    }

    @Override
    public StageCost cost(Shape input) {
        long h = input.get(1);
        long w = input.get(2);
        return StageCost.featureMap(2L * inputChannels * h * w)
                .plus(StageCost.conv(inputChannels, outputChannels, 1, h, w))
                .plus(StageCost.featureMap(outputChannels * (h / 2) * (w / 2)));
    }

    @Override
    public List<NDArray> tensors() {
        return Layers.concat(Layers.normTensors(norm), List.of(Folding.weight(conv)));
    }

    /** The names torchvision gives a transition's {@link #tensors}: norm, then conv. */
    public static List<String> tensorNames() {
        return Layers.concat(Layers.normNames("norm"), List.of("conv.weight"));
    }

    /** This transition for inference ({@link FoldedTransition}). */
    FoldedTransition fold(Folding f) {
        return new FoldedTransition(f.keep(FoldedNorm.preActivation(norm, Folding.weight(conv), null, f.scratch())));
    }
}
