package org.densenet4j.infer;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;

/**
 * A model that classifies: what it takes and answers ({@link ModelSpec}) and a block from normalised NCHW images to
 * logits. A {@link TrainedModel} gives its folded inference network; a TorchScript archive
 * ({@code io.ScriptedModel}) gives the module libtorch compiled.
 */
public interface InferenceModel {

    ModelSpec spec();

    /** The block that computes logits, its arrays on (a sub-manager of) {@code manager} where it makes new ones. */
    Block inferenceBlock(NDManager manager);
}
