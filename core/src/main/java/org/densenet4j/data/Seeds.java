package org.densenet4j.data;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/** Seeds derived from a run's seed, so that every random choice is a pure function of (seed, where). */
public final class Seeds {

    private Seeds() {}

    /** The indices 0..n-1 in the order of a Fisher-Yates shuffle drawn from {@code random}. */
    public static int[] shuffledIndices(int n, RandomGenerator random) {
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** A well-spread 64-bit value from two (SplitMix64's finaliser). */
    public static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
