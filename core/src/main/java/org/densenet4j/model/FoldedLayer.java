package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;

/**
 * A dense layer for inference, reading and writing channel ranges of its block's buffer: a bottleneck layer with
 * its first BN-ReLU folded into a clamp plus conv1 and its second BN folded into conv1, or a basic layer that
 * keeps its BN (its 3x3 conv pads, so the BN cannot move into it).
 */
final class FoldedLayer {

    private static final Shape ONE = new Shape(1, 1);
    private static final Shape NO_PADDING = new Shape(0, 0);

    /** The folded bottleneck (null for a basic layer). */
    private final FoldedNorm.PreActivation bottleneck;
    /** The 3x3 conv producing the k new maps. */
    private final NDArray conv3x3;
    /** A basic layer's BN: running mean, running variance, gamma, beta (null for a bottleneck layer). */
    private final NDArray[] basicNorm;
    /** The buffer channels this layer reads, and those its new maps go to. */
    final NDIndex reads;

    final NDIndex writes;

    FoldedLayer(
            FoldedNorm.PreActivation bottleneck, NDArray conv3x3, NDArray[] basicNorm, NDIndex reads, NDIndex writes) {
        this.bottleneck = bottleneck;
        this.conv3x3 = conv3x3;
        this.basicNorm = basicNorm;
        this.reads = reads;
        this.writes = writes;
    }

    /** The k new maps from the features this layer reads. */
    NDArray forward(NDArray features) {
        NDArray activated;
        if (bottleneck == null) {
            NDArray normed = BatchNorm.batchNorm(
                            features,
                            basicNorm[0],
                            basicNorm[1],
                            basicNorm[2],
                            basicNorm[3],
                            1,
                            0.9f,
                            Layers.BN_EPSILON,
                            false)
                    .singletonOrThrow();
            activated = Activation.relu(normed);
            normed.close();
        } else {
            NDArray clamped = bottleneck.clamp(features);
            NDArray conv1 = Conv2d.conv2d(clamped, bottleneck.weight(), bottleneck.bias(), ONE, NO_PADDING)
                    .singletonOrThrow();
            clamped.close();
            activated = Activation.relu(conv1);
            conv1.close();
        }
        NDArray out = Conv2d.conv2d(activated, conv3x3, null, ONE, ONE).singletonOrThrow();
        activated.close();
        return out;
    }

    FoldedWeights.Layer weights() {
        return new FoldedWeights.Layer(bottleneck == null ? null : FoldedNorm.view(bottleneck), basicNorm, conv3x3);
    }
}
