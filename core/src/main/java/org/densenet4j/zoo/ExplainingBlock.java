package org.densenet4j.zoo;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.densenet4j.model.FoldedDenseNet;

/** The block of a zoo model that explains: logits and class activation maps from one folded forward pass. */
final class ExplainingBlock extends AbstractBlock {

    private final FoldedDenseNet network;

    ExplainingBlock(FoldedDenseNet network) {
        super((byte) 1);
        this.network = network;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return network.logitsAndClassActivationMaps(inputs.singletonOrThrow());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return network.getOutputShapes(inputShapes);
    }
}
