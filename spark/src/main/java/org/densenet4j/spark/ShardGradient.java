package org.densenet4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * What partitions send the driver for one step, summed over partitions on the driver, in partition order: the gradients and
 * the BN running statistics each weighted by its partition's image count (the driver divides by the total, which
 * gives the gradient of the global batch's mean loss), the summed loss and correct predictions, and the images that
 * could not be read.
 *
 * @param gradients the trainable parameters' gradients, in the network's parameter order, times the images
 * @param statistics the BN running means and variances after the partition's forward pass, times the images
 * @param lossSum the summed cross-entropy
 * @param correct images whose top-1 prediction was right
 * @param images images the gradient is over
 * @param unreadable images skipped
 * @param unreadableNames the first few of them, each with its reason
 */
record ShardGradient(
        float[] gradients,
        float[] statistics,
        double lossSum,
        long correct,
        long images,
        long unreadable,
        List<String> unreadableNames)
        implements Serializable {

    /** Unreadable images named per step; the rest are counted. */
    static final int NAMED = 10;

    /** Nothing yet: the start of the sum. */
    static ShardGradient zero() {
        return new ShardGradient(null, null, 0, 0, 0, 0, List.of());
    }

    /** The sum of two partitions' (or sums') contributions. */
    ShardGradient plus(ShardGradient other) {
        List<String> names = new ArrayList<>(unreadableNames);
        for (String name : other.unreadableNames) {
            if (names.size() < NAMED) {
                names.add(name);
            }
        }
        return new ShardGradient(
                sum(gradients, other.gradients),
                sum(statistics, other.statistics),
                lossSum + other.lossSum,
                correct + other.correct,
                images + other.images,
                unreadable + other.unreadable,
                List.copyOf(names));
    }

    private static float[] sum(float[] a, float[] b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        if (a.length != b.length) {
            throw new IllegalStateException("partitions sent " + a.length + " and " + b.length + " values");
        }
        float[] out = a.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += b[i];
        }
        return out;
    }
}
