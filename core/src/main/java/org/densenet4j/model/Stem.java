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
        this.conv = addChildBlock(
                "conv0", Layers.conv(width, type.convKernel(), type.convStrideSide(), type.convPaddingSide()));
        this.norm = type.hasPool() ? addChildBlock("norm0", Layers.batchNorm()) : null;
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
        NDArray pooled = Pool.maxPool2d(y, type.poolKernel(), type.poolStride(), type.poolPadding(), false);
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
        return new Shape[] {
            new Shape(in.get(0), width, type.pooledSize(convOut.get(2)), type.pooledSize(convOut.get(3)))
        };
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
        StageCost c = StageCost.conv(inputChannels, width, type.convKernel(), h, w);
        if (norm == null) {
            return c;
        }
        Shape out = getOutputShapes(new Shape[] {new Shape(1).addAll(input)})[0];
        return c.plus(StageCost.featureMap(2L * width * h * w)).plus(StageCost.featureMap(out.size()));
    }

    @Override
    public List<NDArray> tensors() {
        return norm == null
                ? List.of(Folding.weight(conv))
                : Layers.concat(List.of(Folding.weight(conv)), Layers.normTensors(norm));
    }

    /** The names torchvision gives the stem's {@link #tensors} of a stem of {@code type}: conv0, then norm0. */
    public static List<String> tensorNames(StemType type) {
        return type == StemType.IMAGENET
                ? Layers.concat(List.of("conv0.weight"), Layers.normNames("norm0"))
                : List.of("conv0.weight");
    }

    /** This stem for inference: the ImageNet stem's BN folded into its conv ({@link FoldedStem}). */
    FoldedStem fold(Folding f) {
        if (norm == null) {
            return new FoldedStem(type, f.copy(Folding.weight(conv)), null);
        }
        NDArray[] folded = FoldedNorm.intoPrecedingConv(norm, Folding.weight(conv), null, f.scratch());
        return new FoldedStem(type, f.keep(folded[0]), f.keep(folded[1]));
    }
}
