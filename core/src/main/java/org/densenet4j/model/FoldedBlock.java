package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * A dense block for inference in one channels-last buffer: the block input and every layer's k maps are written
 * into their channel ranges (laid out by the block's {@link ConcatOrder}), so nothing is concatenated again.
 */
final class FoldedBlock {

    private final int channels;
    private final NDIndex input;
    private final List<FoldedLayer> layers;

    FoldedBlock(int channels, NDIndex input, List<FoldedLayer> layers) {
        this.channels = channels;
        this.input = input;
        this.layers = List.copyOf(layers);
    }

    /** Runs the block; returns the buffer, which holds the block's output. */
    NDArray forward(NDArray x) {
        Shape in = x.getShape();
        NDArray buffer;
        try (NDArray nhwc =
                x.getManager().create(new Shape(in.get(0), in.get(2), in.get(3), channels), DataType.FLOAT32)) {
            buffer = nhwc.transpose(0, 3, 1, 2); // channels-last storage behind an NCHW view
        }
        buffer.set(input, x);
        for (FoldedLayer layer : layers) {
            NDArray out;
            try (NDArray features = buffer.get(layer.reads)) {
                out = layer.forward(features);
            }
            buffer.set(layer.writes, out);
            out.close();
        }
        return buffer;
    }

    java.util.List<FoldedWeights.Layer> weights() {
        return layers.stream().map(FoldedLayer::weights).toList();
    }
}
