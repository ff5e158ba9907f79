package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.List;

/** One named stage of a DenseNet (stem, dense block, transition or head) that can report its cost. */
public interface Stage extends Block {

    /** The stage's name, as in torchvision: {@code stem}, {@code denseblock1}, {@code transition1}, ... */
    String stageName();

    /**
     * Returns MACs and activation memory for one image.
     *
     * @param input the stage's input shape for one image, (C, H, W) or (C) for the head
     */
    StageCost cost(Shape input);

    /**
     * The stage's parameters and BN statistics in PyTorch's state-dict order (without BN's {@code
     * num_batches_tracked}): what exporters write and the bf16 training module reads, in that order.
     */
    List<NDArray> tensors();
}
