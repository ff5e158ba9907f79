package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The order in which a dense layer's new feature maps join the block's running concatenation. Everything that
 * depends on it lives here: the order of the pieces of a concatenation, and the channel layout of a block
 * buffer that holds them all.
 *
 * <p>The order changes no count, but it fixes which input channel each weight sees: weights trained
 * in one order give wrong outputs when loaded in the other.
 */
public enum ConcatOrder {
    /** {@code cat([input, new])}: the paper and torchvision. */
    INPUT_FIRST,
    /** {@code cat([new, input])}: the blog code in {@code seed/} and the pytorch-cifar repository. */
    NEW_FEATURES_FIRST;

    /**
     * The pieces of a concatenation in channel order, from the block input followed by each layer's new maps
     * ({@code oldestFirst}): as given in the paper's order, reversed in the blog's.
     */
    public List<NDArray> inChannelOrder(List<NDArray> oldestFirst) {
        if (this == INPUT_FIRST) {
            return oldestFirst;
        }
        List<NDArray> newestFirst = new ArrayList<>(oldestFirst);
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    /**
     * Where, in a block buffer of {@code total} channels, the {@code seen} channels a layer reads lie: {@code
     * {from, to}}. In the paper's order the block input comes first and each layer appends after what it reads;
     * in the blog's the input sits at the end and each layer prepends. Either way a layer reads one contiguous
     * range.
     */
    public int[] readRange(int total, int seen) {
        return this == INPUT_FIRST ? new int[] {0, seen} : new int[] {total - seen, total};
    }

    /** Where the {@code k} maps a layer adds after reading {@code seen} channels go: {@code {from, to}}. */
    public int[] writeRange(int total, int seen, int k) {
        return this == INPUT_FIRST ? new int[] {seen, seen + k} : new int[] {total - seen - k, total - seen};
    }
}
