package org.densenet4j.model;

/** The composite function H of a dense layer. */
public enum LayerType {
    /** BN-ReLU-3x3 conv to k channels (the paper's DenseNet). */
    BASIC,
    /** BN-ReLU-1x1 conv to bottleneckWidth*k, then BN-ReLU-3x3 conv to k (DenseNet-B and -BC). */
    BOTTLENECK
}
