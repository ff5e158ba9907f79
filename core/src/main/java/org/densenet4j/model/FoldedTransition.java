package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;

/**
 * A transition for inference: BN-ReLU folded into a clamp plus the 1x1 conv, and the 2x2 average pool moved
 * before the conv (both are linear, so they commute), which gives the conv a quarter of the pixels.
 */
final class FoldedTransition {

    private static final Shape ONE = new Shape(1, 1);
    private static final Shape NO_PADDING = new Shape(0, 0);

    private final FoldedNorm.PreActivation folded;

    FoldedTransition(FoldedNorm.PreActivation folded) {
        this.folded = folded;
    }

    NDArray forward(NDArray x) {
        NDArray clamped = folded.clamp(x);
        NDArray pooled = Pool.avgPool2d(clamped, Transition.POOL, Transition.POOL, NO_PADDING, false, true);
        clamped.close();
        NDArray out = Conv2d.conv2d(pooled, folded.weight(), folded.bias(), ONE, NO_PADDING)
                .singletonOrThrow();
        pooled.close();
        return out;
    }

    FoldedWeights.PreActivation weights() {
        return FoldedNorm.view(folded);
    }
}
