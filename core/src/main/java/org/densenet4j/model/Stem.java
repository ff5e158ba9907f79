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

/**
 * The layers before the first dense block.
 *
 * <p>ImageNet: 7x7 stride-2 conv, BN, ReLU, 3x3 stride-2 max-pool (padding 1), a 4x reduction. CIFAR:
 * one 3x3 conv at full resolution; its BN-ReLU is the first dense layer's pre-activation.
 */
public final class Stem extends AbstractBlock implements Stage {

    private final StemType type;
    private final int inputChannels;
    private final int width;
    private final Conv2d conv;
    /** Null for the CIFAR stem. */
    private final BatchNorm norm;

    Stem(StemType type, int inputChannels, int width) {
        super((byte) 1);
        this.type = type;
        this.inputChannels = inputChannels;
        this.width = width;
        if (type == StemType.IMAGENET) {
            this.conv = addChildBlock("conv0", Layers.conv(width, 7, 2, 3));
            this.norm = addChildBlock("norm0", Layers.batchNorm());
        } else {
            this.conv = addChildBlock("conv0", Layers.conv(width, 3, 1, 1));
            this.norm = null;
        }
    }

    @Override
    public String stageName() {
        return "stem";
    }

    public StemType type() {
        return type;
    }

    public Conv2d conv() {
        return conv;
    }

    /** The stem's BN; null for the CIFAR stem. */
    public BatchNorm norm() {
        return norm;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = conv.forward(ps, inputs, training, params);
        if (norm == null) {
            return x;
        }
        NDArray y = Layers.normRelu(norm, ps, x, training, params);
        x.close();
        NDArray pooled = Pool.maxPool2d(y, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false);
        y.close();
        return new NDList(pooled);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        Shape convOut = conv.getOutputShapes(new Shape[] {in})[0];
        if (norm == null) {
            return new Shape[] {convOut};
        }
        long h = Math.floorDiv(convOut.get(2) - 1, 2) + 1;
        long w = Math.floorDiv(convOut.get(3) - 1, 2) + 1;
        return new Shape[] {new Shape(in.get(0), width, h, w)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        conv.initialize(manager, dataType, inputShapes[0]);
        if (norm != null) {
            norm.initialize(manager, dataType, conv.getOutputShapes(inputShapes)[0]);
        }
    }

    @Override
    public StageCost cost(Shape input) {
        Shape convOut = conv.getOutputShapes(new Shape[] {new Shape(1).addAll(input)})[0];
        long h = convOut.get(2);
        long w = convOut.get(3);
        StageCost c = StageCost.conv(inputChannels, width, type == StemType.IMAGENET ? 7 : 3, h, w);
        if (norm == null) {
            return c;
        }
        Shape out = getOutputShapes(new Shape[] {new Shape(1).addAll(input)})[0];
        return c.plus(StageCost.featureMap(2L * width * h * w)).plus(StageCost.featureMap(out.size()));
    }
}
