package org.densenet4j.model;

import java.util.Locale;

/**
 * The pretrained part of a network that fine-tuning keeps fixed: its parameters get no gradient and its batch
 * normalisations keep their statistics (they run in eval mode, as do its dropouts).
 *
 * @param blocks the stem, dense blocks 1..blocks and the transitions after them are fixed (0: none)
 * @param features everything but the classifier is fixed (a linear probe); {@code blocks} is then ignored
 */
public record Freeze(int blocks, boolean features) {

    /** Everything trains. */
    public static final Freeze NONE = new Freeze(0, false);

    /** Only the classifier trains. */
    public static final Freeze FEATURES = new Freeze(0, true);

    public Freeze {
        if (blocks < 0) {
            throw new IllegalArgumentException("frozen blocks must be >= 0, got " + blocks);
        }
    }

    /** The stem, dense blocks 1..{@code n} and their transitions fixed. */
    public static Freeze throughBlock(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("block" + n + ": dense blocks are numbered from 1");
        }
        return new Freeze(n, false);
    }

    /**
     * Reads {@code none}, {@code features} or {@code blockN}.
     *
     * @throws IllegalArgumentException naming the text and what is accepted
     */
    public static Freeze parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("none")) {
            return NONE;
        }
        if (t.equals("features")) {
            return FEATURES;
        }
        if (t.matches("block[0-9]{1,3}")) {
            return throughBlock(Integer.parseInt(t.substring(5)));
        }
        throw new IllegalArgumentException("unknown freeze '" + text
                + "': expected none, features or blockN (N = 1.. the number of dense blocks)");
    }

    /** As {@link #parse} reads it. */
    public String cliName() {
        return features ? "features" : blocks == 0 ? "none" : "block" + blocks;
    }

    public boolean isNone() {
        return !features && blocks == 0;
    }

    /**
     * Checks that {@code config} has the blocks this names.
     *
     * @throws IllegalArgumentException naming the block count
     */
    public void checkFits(DenseNetConfig config) {
        int count = config.blockLayers().length;
        if (blocks > count) {
            throw new IllegalArgumentException("freeze " + cliName() + ": the network has dense blocks 1.." + count);
        }
    }
}
