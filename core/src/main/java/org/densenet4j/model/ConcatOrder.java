package org.densenet4j.model;

/**
 * The order in which a dense layer's new feature maps join the block's running concatenation.
 *
 * <p>The order changes no count, but it fixes which input channel each weight sees: weights trained
 * in one order give wrong outputs when loaded in the other.
 */
public enum ConcatOrder {
    /** {@code cat([input, new])}: the paper and torchvision. */
    INPUT_FIRST,
    /** {@code cat([new, input])}: the blog code in {@code seed/} and the pytorch-cifar repository. */
    NEW_FEATURES_FIRST
}
