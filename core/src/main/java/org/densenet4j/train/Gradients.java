package org.densenet4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

/** Gradient housekeeping that DJL leaves to the caller on the PyTorch engine. */
public final class Gradients {

    private Gradients() {}

    /**
     * Clears every parameter gradient, as PyTorch's {@code optimizer.zero_grad()}: libtorch accumulates
     * gradients across backward passes, and DJL's {@code Trainer.step()} hands optimizers a copy of each
     * gradient, so nothing else clears them. Call it before each backward pass.
     */
    public static void clear(Block block) {
        for (Parameter p : block.getParameters().values()) {
            if (p.requiresGradient() && p.getArray().hasGradient()) {
                try (NDArray g = p.getArray().getGradient()) {
                    g.subi(g);
                }
            }
        }
    }
}
