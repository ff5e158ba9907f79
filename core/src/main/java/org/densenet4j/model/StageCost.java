package org.densenet4j.model;

/**
 * The cost of one stage for one image.
 *
 * @param macs multiply-accumulates of its convolutions and linear layers (BN, ReLU and pooling are
 *     not counted, as in the paper's and torchvision's FLOP figures)
 * @param activationBytes FP32 bytes of every feature map the stage produces (each BN, ReLU, conv,
 *     concatenation and pooling output): what a plain training forward keeps for backward
 */
public record StageCost(long macs, long activationBytes) {

    static final long FLOAT_BYTES = 4;

    StageCost plus(StageCost other) {
        return new StageCost(macs + other.macs, activationBytes + other.activationBytes);
    }

    /** A convolution's cost: kernel*kernel*in MACs per output element. */
    static StageCost conv(long in, long out, int kernel, long outH, long outW) {
        long outputs = out * outH * outW;
        return new StageCost(outputs * in * kernel * kernel, outputs * FLOAT_BYTES);
    }

    /** An element-wise or pooling step producing {@code elements} values: memory only. */
    static StageCost featureMap(long elements) {
        return new StageCost(0, elements * FLOAT_BYTES);
    }
}
