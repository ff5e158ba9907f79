package org.densenet4j.data;

/** Seeds derived from a run's seed, so that every random choice is a pure function of (seed, where). */
public final class Seeds {

    private Seeds() {}

    /** A well-spread 64-bit value from two (SplitMix64's finaliser). */
    public static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
