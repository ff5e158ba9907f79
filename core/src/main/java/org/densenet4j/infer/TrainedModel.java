package org.densenet4j.infer;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.FoldedDenseNet;

/**
 * A trained model ready for inference, however it was stored: what it is and takes ({@link ModelSpec}) and its
 * network with the weights loaded. Read from a densenet4j checkpoint or imported from a PyTorch file
 * ({@code io.ModelFiles}).
 */
public record TrainedModel(ModelSpec spec, DenseNet network) implements InferenceModel {

    /** The folded inference network of the current weights ({@link FoldedDenseNet}). */
    @Override
    public Block inferenceBlock(NDManager manager) {
        return FoldedDenseNet.of(network, manager);
    }
}
