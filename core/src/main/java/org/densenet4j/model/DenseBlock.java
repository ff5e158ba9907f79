package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A dense block: each layer sees the concatenation of the block input and every earlier layer's
 * output, and adds k feature maps of its own.
 */
public final class DenseBlock extends AbstractBlock implements Stage {

    private final String name;
    private final int inputChannels;
    private final int growthRate;
    private final ConcatOrder concatOrder;
    private final List<DenseLayer> layers = new ArrayList<>();

    DenseBlock(String name, int inputChannels, int layerCount, DenseNetConfig config) {
        super((byte) 1);
        this.name = name;
        this.inputChannels = inputChannels;
        this.growthRate = config.growthRate();
        this.concatOrder = config.concatOrder();
        for (int i = 0; i < layerCount; i++) {
            layers.add(addChildBlock("denselayer" + (i + 1), new DenseLayer(inputChannels + i * growthRate, config)));
        }
    }

    @Override
    public String stageName() {
        return name;
    }

    public List<DenseLayer> layers() {
        return Collections.unmodifiableList(layers);
    }

    public ConcatOrder concatOrder() {
        return concatOrder;
    }

    /** Channels leaving the block: its input plus k per layer. */
    public int outputChannels() {
        return inputChannels + layers.size() * growthRate;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray input = inputs.singletonOrThrow();
        NDArray features = input;
        for (DenseLayer layer : layers) {
            NDArray added =
                    layer.forward(ps, new NDList(features), training, params).singletonOrThrow();
            NDArray next = NDArrays.concat(new NDList(concatOrder.inChannelOrder(List.of(features, added))), 1);
            // The previous concatenation is copied into the next one: free it now, not when the batch ends.
            added.close();
            if (features != input) {
                features.close();
            }
            features = next;
        }
        return new NDList(features);
    }

    /**
     * Concatenates the block input and the first new feature maps as the block's layers see them:
     * {@code pieces} holds the block input, then the outputs of layers 1, 2, ... in that order. The result
     * is a new array that autograd connects to every piece; the caller closes it.
     */
    public NDArray concatenate(List<NDArray> pieces) {
        if (pieces.size() == 1) {
            // DJL "concatenates" a single array with duplicate(), a copy autograd does not see through; a
            // view keeps the gradient flowing to the piece.
            return pieces.get(0).reshape(pieces.get(0).getShape());
        }
        return NDArrays.concat(new NDList(concatOrder.inChannelOrder(pieces)), 1);
    }

    /** Its layers' {@link DenseLayer#tensors}, layer after layer. */
    @Override
    public List<NDArray> tensors() {
        List<NDArray> out = new ArrayList<>();
        layers.forEach(l -> out.addAll(l.tensors()));
        return out;
    }

    /** This block for inference, in one buffer laid out by the concatenation order ({@link FoldedBlock}). */
    FoldedBlock fold(Folding f) {
        int total = outputChannels();
        List<FoldedLayer> folded = new ArrayList<>();
        for (DenseLayer layer : layers) {
            int seen = layer.inputChannels();
            folded.add(layer.fold(
                    channels(concatOrder.readRange(total, seen)),
                    channels(concatOrder.writeRange(total, seen, layer.growthRate())),
                    f));
        }
        int input = layers.isEmpty() ? total : layers.get(0).inputChannels();
        return new FoldedBlock(total, channels(concatOrder.readRange(total, input)), folded);
    }

    private static NDIndex channels(int[] range) {
        return new NDIndex().addAllDim().addSliceDim(range[0], range[1]);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {new Shape(in.get(0), outputChannels(), in.get(2), in.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        for (DenseLayer layer : layers) {
            layer.initialize(manager, dataType, new Shape(in.get(0), layer.inputChannels(), in.get(2), in.get(3)));
        }
    }

    @Override
    public StageCost cost(Shape input) {
        long h = input.get(1);
        long w = input.get(2);
        StageCost total = new StageCost(0, 0);
        for (DenseLayer layer : layers) {
            total = total.plus(layer.cost(h, w))
                    .plus(StageCost.featureMap((long) (layer.inputChannels() + growthRate) * h * w));
        }
        return total;
    }
}
