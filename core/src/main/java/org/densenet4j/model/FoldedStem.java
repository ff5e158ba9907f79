package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;

/** The stem for inference: the ImageNet stem's BN folded into its conv, the rest as in {@link Stem}. */
final class FoldedStem {

    private final StemType type;
    private final NDArray weight;
    private final NDArray bias;

    FoldedStem(StemType type, NDArray weight, NDArray bias) {
        this.type = type;
        this.weight = weight;
        this.bias = bias;
    }

    NDArray forward(NDArray x) {
        NDArray conv = Conv2d.conv2d(x, weight, bias, type.convStride(), type.convPadding())
                .singletonOrThrow();
        if (!type.hasPool()) {
            return conv;
        }
        NDArray relu = Activation.relu(conv);
        conv.close();
        NDArray pooled = Pool.maxPool2d(relu, type.poolKernel(), type.poolStride(), type.poolPadding(), false);
        relu.close();
        return pooled;
    }

    NDArray weight() {
        return weight;
    }

    NDArray bias() {
        return bias;
    }
}
