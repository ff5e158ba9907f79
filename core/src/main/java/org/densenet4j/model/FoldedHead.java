package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

/**
 * The head for inference: BN-ReLU folded into a clamp plus the classifier's weights and bias. Also makes class
 * activation maps, for which it keeps the classifier's own bias (folding moved the BN's constant into the folded
 * bias, which the maps add back).
 */
final class FoldedHead {

    private final FoldedNorm.PreActivation folded;
    private final NDArray classifierBias;

    FoldedHead(FoldedNorm.PreActivation folded, NDArray classifierBias) {
        this.folded = folded;
        this.classifierBias = classifierBias;
    }

    NDArray logits(NDArray x) {
        NDArray clamped = folded.clamp(x);
        NDArray pooled = Pool.globalAvgPool2d(clamped);
        clamped.close();
        NDArray flat = pooled.reshape(pooled.getShape().get(0), -1);
        pooled.close();
        NDArray logits = Linear.linear(flat, folded.weight(), folded.bias()).singletonOrThrow();
        flat.close();
        return logits;
    }

    /** (N, classes, h, w): per position, the folded weights on the clamped maps plus the moved constant. */
    NDArray classActivationMaps(NDArray x) {
        NDArray clamped = folded.clamp(x);
        Shape s = clamped.getShape();
        NDArray perPosition = clamped.transpose(0, 2, 3, 1).reshape(-1, s.get(1)); // (N*h*w, C)
        clamped.close();
        NDArray scores = perPosition.matMul(folded.weight().transpose()); // (N*h*w, classes)
        perPosition.close();
        NDArray shifted = scores.add(folded.bias().sub(classifierBias));
        scores.close();
        NDArray maps = shifted.reshape(s.get(0), s.get(2), s.get(3), -1).transpose(0, 3, 1, 2);
        shifted.close();
        return maps;
    }

    FoldedWeights.PreActivation weights() {
        return FoldedNorm.view(folded);
    }
}
