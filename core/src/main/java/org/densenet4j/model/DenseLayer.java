package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * One dense layer: the composite function H that turns all preceding feature maps into k new ones.
 *
 * <p>Bottleneck: BN-ReLU-1x1 conv to bottleneckWidth*k, then BN-ReLU-3x3 conv to k. Basic: BN-ReLU-3x3
 * conv to k. It returns only the new k feature maps; the {@link DenseBlock} concatenates them.
 */
public final class DenseLayer extends AbstractBlock {

    private final int inputChannels;
    private final int growthRate;
    private final float dropRate;
    private final BatchNorm norm1;
    private final Conv2d conv1;
    /** Null for a basic layer. */
    private final BatchNorm norm2;
    /** Null for a basic layer. */
    private final Conv2d conv2;

    DenseLayer(int inputChannels, DenseNetConfig config) {
        super((byte) 1);
        this.inputChannels = inputChannels;
        this.growthRate = config.growthRate();
        this.dropRate = config.dropRate();
        this.norm1 = addChildBlock("norm1", Layers.batchNorm());
        if (config.layerType() == LayerType.BOTTLENECK) {
            int width = config.bottleneckWidth() * growthRate;
            this.conv1 = addChildBlock("conv1", Layers.conv(width, 1, 1, 0));
            this.norm2 = addChildBlock("norm2", Layers.batchNorm());
            this.conv2 = addChildBlock("conv2", Layers.conv(growthRate, 3, 1, 1));
        } else {
            this.conv1 = addChildBlock("conv1", Layers.conv(growthRate, 3, 1, 1));
            this.norm2 = null;
            this.conv2 = null;
        }
    }

    public boolean isBottleneck() {
        return conv2 != null;
    }

    public int inputChannels() {
        return inputChannels;
    }

    /** k, the number of maps this layer adds. */
    public int growthRate() {
        return growthRate;
    }

    /** The first BN (on the concatenated input). */
    public BatchNorm norm1() {
        return norm1;
    }

    /** The 1x1 bottleneck conv, or the only (3x3) conv of a basic layer. */
    public Conv2d conv1() {
        return conv1;
    }

    /** The BN before the 3x3 conv of a bottleneck layer; null for a basic layer. */
    public BatchNorm norm2() {
        return norm2;
    }

    /** The 3x3 conv of a bottleneck layer; null for a basic layer. */
    public Conv2d conv2() {
        return conv2;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = preActivatedConv(ps, norm1, conv1, inputs, training, params);
        if (conv2 != null) {
            NDArray bottleneck = x;
            x = preActivatedConv(ps, norm2, conv2, new NDList(bottleneck), training, params);
            bottleneck.close();
        }
        return new NDList(x);
    }

    /** BN-ReLU-conv, the pre-activation order of the paper, then the optional dropout. */
    private NDArray preActivatedConv(
            ParameterStore ps,
            BatchNorm norm,
            Conv2d conv,
            NDList x,
            boolean training,
            PairList<String, Object> params) {
        NDArray activated = Layers.normRelu(norm, ps, x, training, params);
        return Layers.dropout(Layers.convAndClose(conv, ps, activated, training, params), dropRate, training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {new Shape(in.get(0), growthRate, in.get(2), in.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        norm1.initialize(manager, dataType, in);
        conv1.initialize(manager, dataType, in);
        if (conv2 != null) {
            Shape mid = conv1.getOutputShapes(new Shape[] {in})[0];
            norm2.initialize(manager, dataType, mid);
            conv2.initialize(manager, dataType, mid);
        }
    }

    /** Cost for one image with {@code channels} input maps of side h x w. */
    StageCost cost(long h, long w) {
        StageCost c = StageCost.featureMap(2L * inputChannels * h * w); // BN and ReLU outputs
        if (conv2 == null) {
            return c.plus(StageCost.conv(inputChannels, growthRate, 3, h, w));
        }
        long width = conv1.getFilters();
        return c.plus(StageCost.conv(inputChannels, width, 1, h, w))
                .plus(StageCost.featureMap(2L * width * h * w))
                .plus(StageCost.conv(width, growthRate, 3, h, w));
    }

    /** Its parameters and BN statistics in PyTorch's state-dict order ({@link #tensorNames}). */
    public List<NDArray> tensors() {
        List<NDArray> basic = Layers.concat(Layers.normTensors(norm1), List.of(Folding.weight(conv1)));
        return isBottleneck() ? Layers.concat(basic, Layers.normTensors(norm2), List.of(Folding.weight(conv2))) : basic;
    }

    /** The names torchvision gives a layer's {@link #tensors}: norm1, conv1, and for a bottleneck norm2, conv2. */
    public static List<String> tensorNames(LayerType type) {
        List<String> basic = Layers.concat(Layers.normNames("norm1"), List.of("conv1.weight"));
        return type == LayerType.BOTTLENECK
                ? Layers.concat(basic, Layers.normNames("norm2"), List.of("conv2.weight"))
                : basic;
    }

    /**
     * This layer for inference, reading and writing the given channel ranges of its block's buffer
     * ({@link FoldedLayer}).
     */
    FoldedLayer fold(NDIndex reads, NDIndex writes, Folding f) {
        if (!isBottleneck()) {
            NDArray[] norm = new NDArray[4];
            String[] names = {"runningMean", "runningVar", "gamma", "beta"};
            for (int i = 0; i < names.length; i++) {
                norm[i] = f.copy(norm1().getParameters().get(names[i]).getArray());
            }
            return new FoldedLayer(null, f.copy(Folding.weight(conv1())), norm, reads, writes);
        }
        FoldedNorm.PreActivation first = FoldedNorm.preActivation(norm1(), Folding.weight(conv1()), null, f.scratch());
        // The bottleneck's second BN follows conv1: fold it into conv1's (already folded) weights and bias.
        NDArray[] conv1 = FoldedNorm.intoPrecedingConv(norm2(), first.weight(), first.bias(), f.scratch());
        FoldedNorm.PreActivation folded =
                f.keep(new FoldedNorm.PreActivation(first.lower(), first.upper(), conv1[0], conv1[1]));
        return new FoldedLayer(folded, f.copy(Folding.weight(conv2())), null, reads, writes);
    }
}
