package org.densenet4j.zoo;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.densenet4j.infer.Explainer;

/**
 * The block of a zoo model that explains: logits and class activation maps from one forward pass (of the folded
 * float32 network, or of densenet4j's int8 module).
 */
final class ExplainingBlock extends AbstractBlock {

    private final Explainer.ClassActivationMaps network;
    private final int classes;

    ExplainingBlock(Explainer.ClassActivationMaps network, int classes) {
        super((byte) 1);
        this.network = network;
        this.classes = classes;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return network.logitsAndMaps(inputs.singletonOrThrow());
    }

    /** The logits' shape (N, classes), as the network's own output. */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }
}
