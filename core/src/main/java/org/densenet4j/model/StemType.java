package org.densenet4j.model;

import ai.djl.ndarray.types.Shape;

/**
 * The first layers of the network, before the first dense block, and their geometry: the one place that says
 * how large the stem's convolution and pooling are (the stem, its folded form and the input-size arithmetic all
 * read it here).
 */
public enum StemType {
    /** 7x7 stride-2 convolution with padding 3, BN, ReLU, 3x3 stride-2 max-pool with padding 1 (224x224 inputs). */
    IMAGENET(7, 2, 3, true),
    /** A single 3x3 convolution with padding 1 (32x32 CIFAR or 28x28 MNIST-like inputs). */
    CIFAR(3, 1, 1, false);

    private final int kernel;
    private final int stride;
    private final int padding;
    private final boolean pool;

    StemType(int kernel, int stride, int padding, boolean pool) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.pool = pool;
    }

    int convKernel() {
        return kernel;
    }

    int convStrideSide() {
        return stride;
    }

    int convPaddingSide() {
        return padding;
    }

    Shape convStride() {
        return new Shape(stride, stride);
    }

    Shape convPadding() {
        return new Shape(padding, padding);
    }

    /** True if BN, ReLU and a 3x3 stride-2 max-pool follow the convolution. */
    boolean hasPool() {
        return pool;
    }

    Shape poolKernel() {
        return new Shape(3, 3);
    }

    Shape poolStride() {
        return new Shape(2, 2);
    }

    Shape poolPadding() {
        return new Shape(1, 1);
    }

    /** The side after the max-pool for a side of {@code size} after the convolution. */
    long pooledSize(long size) {
        return Math.floorDiv(size + 2 - 3, 2) + 1;
    }

    /** The side of the stem's output for an input side of {@code size}; below 1, the input is too small. */
    int outputSize(int size) {
        int conv = Math.floorDiv(size + 2 * padding - kernel, stride) + 1;
        if (!pool) {
            return conv;
        }
        return conv < 1 ? 0 : (int) pooledSize(conv);
    }
}
