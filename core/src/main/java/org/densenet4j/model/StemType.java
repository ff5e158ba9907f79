package org.densenet4j.model;

/** The first layers of the network, before the first dense block. */
public enum StemType {
    /** 7x7 stride-2 convolution, BN, ReLU, 3x3 stride-2 max-pool with padding 1 (224x224 inputs). */
    IMAGENET,
    /** A single 3x3 convolution with padding 1 (32x32 CIFAR or 28x28 MNIST-like inputs). */
    CIFAR
}
