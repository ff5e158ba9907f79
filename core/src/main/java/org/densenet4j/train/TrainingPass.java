package org.densenet4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;

/**
 * How a training step runs the network forward in training mode: through DJL's float32 operators ({@link #FLOAT32})
 * or in bf16 mixed precision through libtorch ({@link MixedPrecisionPass}). The trainer chooses one for a run and
 * hands it to every step ({@link TrainingStep#forwardBackward}); the network itself keeps no training state. Either
 * records autograd into the network's own float32 parameters and updates its BN running statistics.
 */
public interface TrainingPass {

    /** The float32 pass: the network's own forward in training mode, its frozen stages in eval mode. */
    TrainingPass FLOAT32 = new TrainingPass() {
        @Override
        public NDArray logits(Trainer trainer, NDArray images) {
            return trainer.forward(new NDList(images)).singletonOrThrow();
        }

        @Override
        public NDArray part(ParameterStore ps, AbstractBlock part, NDArray input) {
            return part.forward(ps, new NDList(input), true).singletonOrThrow();
        }
    };

    /** The training-mode logits (N, classes) of the trainer's network for float32 NCHW {@code images}. */
    NDArray logits(Trainer trainer, NDArray images);

    /**
     * One part of the network alone, in training mode, float32 in and out: the stem, a dense layer, a transition or
     * the head (the memory-efficient step runs the network part by part).
     */
    NDArray part(ParameterStore ps, AbstractBlock part, NDArray input);
}
