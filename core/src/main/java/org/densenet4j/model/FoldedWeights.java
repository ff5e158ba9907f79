package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The folded inference network's arrays, stage by stage, for exporters that write the folded network in another
 * runtime's terms. Arrays belong to the {@link FoldedDenseNet}; read them, do not close them.
 *
 * @param stemWeight the stem convolution's weight (the ImageNet stem's BN folded in)
 * @param stemBias its bias, or null (CIFAR stem)
 * @param blocks per dense block, its layers
 * @param transitions per transition, its folded BN-ReLU and 1x1 convolution
 * @param head the folded BN-ReLU and classifier
 */
public record FoldedWeights(
        NDArray stemWeight,
        NDArray stemBias,
        List<List<Layer>> blocks,
        List<PreActivation> transitions,
        PreActivation head) {

    /**
     * A BN-ReLU folded into the linear map after it: {@code relu(bn(x))} followed by the map equals
     * {@code clamp(x, lower, upper)} followed by the map with {@code weight} and {@code bias}.
     *
     * @param upper per-channel upper bounds, or null when no BN scale is negative
     */
    public record PreActivation(NDArray lower, NDArray upper, NDArray weight, NDArray bias) {}

    /**
     * One dense layer: a bottleneck ({@code bottleneck} non-null: clamp, 1x1 conv with the second BN folded in,
     * ReLU) or a basic layer ({@code basicNorm}: running mean, running variance, gamma, beta), then the 3x3
     * convolution {@code conv3x3}.
     */
    public record Layer(PreActivation bottleneck, NDArray[] basicNorm, NDArray conv3x3) {}
}
