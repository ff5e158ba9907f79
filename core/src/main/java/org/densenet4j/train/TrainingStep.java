package org.densenet4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import org.densenet4j.model.DenseNetConfig;

/**
 * The forward and backward half of a training step, the one way every training path (the training
 * loop, the benchmark, the parity tests) computes gradients. The caller looks at the loss, then calls
 * {@code trainer.step()}. Both kinds leave the same gradients and BN statistics behind.
 */
public enum TrainingStep {

    /** Plain autograd over the whole network: the reference, and the fastest while memory lasts. */
    PLAIN {
        @Override
        public Pass forwardBackward(Trainer trainer, TrainingPass pass, NDArray images, NDArray labels) {
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDArray logits = pass.logits(trainer, images);
                NDArray loss = trainer.getLoss().evaluate(new NDList(labels), new NDList(logits));
                clearGradients(trainer.getModel().getBlock());
                collector.backward(loss);
                return new Pass(logits, loss.getFloat());
            }
        }
    },

    /**
     * Keeps only each dense layer's k new feature maps and recomputes the rest during backward (see
     * {@link MemoryEfficientPass}): memory grows linearly with depth instead of quadratically, at the price
     * of a second forward pass.
     */
    MEMORY_EFFICIENT {
        @Override
        public Pass forwardBackward(Trainer trainer, TrainingPass pass, NDArray images, NDArray labels) {
            return MemoryEfficientPass.run(trainer, pass, images, labels);
        }

        @Override
        public void checkSupports(DenseNetConfig config) {
            MemoryEfficientPass.checkSupports(config);
        }
    };

    /**
     * What the pass produced.
     *
     * @param logits the training-mode outputs
     * @param loss the mean cross-entropy of the batch
     */
    public record Pass(NDArray logits, float loss) {}

    /** Forward in training mode through {@code pass}, loss, cleared gradients, backward. */
    public abstract Pass forwardBackward(Trainer trainer, TrainingPass pass, NDArray images, NDArray labels);

    /**
     * Checks before training starts that this step can train {@code config}.
     *
     * @throws IllegalArgumentException naming what stands in the way
     */
    public void checkSupports(DenseNetConfig config) {}

    /**
     * Clears every parameter gradient, as PyTorch's {@code optimizer.zero_grad()}: libtorch accumulates
     * gradients across backward passes, and DJL's {@code Trainer.step()} hands optimizers a copy of each
     * gradient, so nothing else clears them.
     */
    static void clearGradients(Block block) {
        for (Parameter p : block.getParameters().values()) {
            if (p.requiresGradient() && p.getArray().hasGradient()) {
                try (NDArray g = p.getArray().getGradient()) {
                    g.subi(g);
                }
            }
        }
    }
}
