package org.densenet4j.zoo;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.densenet4j.model.DenseNet;

/** The block of a zoo model that yields features: the pooled maps the classifier sees ({@link DenseNet#features}). */
final class FeaturesBlock extends AbstractBlock {

    private final DenseNet network;

    FeaturesBlock(DenseNet network) {
        super((byte) 1);
        this.network = network;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(network.features(ps, inputs.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), network.head().features())};
    }
}
