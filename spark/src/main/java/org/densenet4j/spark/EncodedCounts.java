package org.densenet4j.spark;

import java.io.IOException;

/**
 * The counts an encoded Parquet stream declares, checked before parquet-mr's decoders read it: they allocate what a
 * run or block header declares (a bit-packed run's values, a delta block's values and mini-blocks, a delta page's
 * values) before reading a value, so that a few bytes could ask for gigabytes and end the JVM. Writers declare at most
 * 64 groups of 8 values a bit-packed run (parquet-mr 63, Arrow 64, as the run's header is then one byte) and delta
 * blocks of 128 values in 4 mini-blocks; the limits here are far above what they write and far below harm.
 */
final class EncodedCounts {

    /** The most groups of 8 values one bit-packed run may declare: parquet-mr allocates them as ints. */
    static final long MAX_PACKED_GROUPS = 1 << 12;
    /** The largest block of a delta-encoded stream, in values. */
    static final long MAX_DELTA_BLOCK = 1 << 16;
    /** The most values of one delta-encoded stream: parquet-mr decodes a page's values whole, 8 bytes each. */
    static final long MAX_DELTA_VALUES = 1 << 24;

    private EncodedCounts() {}

    /**
     * Checks the runs of an RLE / bit-packed hybrid stream ({@code bytes[from, to)}, values {@code bitWidth} bits wide):
     * definition levels, or a dictionary-encoded page's indices.
     *
     * @throws IOException naming the run's count when a bit-packed run declares more values than any writer writes
     */
    static void checkRuns(byte[] bytes, int from, int to, int bitWidth) throws IOException {
        long at = from;
        while (at < to) {
            long header = 0;
            for (int shift = 0; ; shift += 7) {
                if (at >= to) {
                    return; // a truncated header: the decoder says so if it ever reaches it
                }
                if (shift > 28) {
                    throw new IOException("a run header at byte " + at + " is longer than 5 bytes");
                }
                int b = bytes[(int) at++] & 0xff;
                header |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            if ((header & 1) == 1) {
                long groups = header >>> 1;
                if (groups > MAX_PACKED_GROUPS) {
                    throw new IOException("a bit-packed run declares " + groups * 8 + " values, over the limit of "
                            + MAX_PACKED_GROUPS * 8 + " a run");
                }
                at += groups * bitWidth;
            } else {
                at += (bitWidth + 7) / 8;
            }
        }
    }

    /**
     * Checks the header of a DELTA_BINARY_PACKED stream at {@code bytes[at]} (block size, mini-blocks per block, value
     * count) before parquet-mr's reader allocates its buffers from it.
     *
     * @param values the most values the stream may hold: its page's cells
     * @throws IOException naming what the header declares when it is out of bounds
     */
    static void checkDeltaHeader(byte[] bytes, int at, long values) throws IOException {
        long[] header = new long[3];
        int p = at;
        for (int i = 0; i < header.length; i++) {
            for (int shift = 0; ; shift += 7) {
                if (p >= bytes.length || shift > 28) {
                    throw new IOException("a delta-encoded stream's header at byte " + at + " is malformed");
                }
                int b = bytes[p++] & 0xff;
                header[i] |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
        }
        long block = header[0];
        long miniBlocks = header[1];
        long count = header[2];
        if (block < 1 || block > MAX_DELTA_BLOCK || miniBlocks < 1 || miniBlocks > block) {
            throw new IOException("a delta-encoded stream declares blocks of " + block + " values in " + miniBlocks
                    + " mini-blocks (at most " + MAX_DELTA_BLOCK + " values)");
        }
        if (count > values || count > MAX_DELTA_VALUES) {
            throw new IOException("a delta-encoded stream declares " + count + " values in a page of " + values
                    + " cells (at most " + MAX_DELTA_VALUES + ")");
        }
    }
}
