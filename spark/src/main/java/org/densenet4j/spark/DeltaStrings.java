package org.densenet4j.spark;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.column.values.delta.DeltaBinaryPackingValuesReader;
import org.apache.parquet.column.values.deltalengthbytearray.DeltaLengthByteArrayValuesReader;
import org.apache.parquet.io.api.Binary;

/**
 * The values of a DELTA_BYTE_ARRAY page, each the first bytes of the value before it (its prefix) and bytes of its own
 * (its suffix), decoded with every length checked. parquet-mr's reader allocates prefix plus suffix bytes before
 * finding the prefix longer than the value before (a page of a few bytes could ask for 2 GB); here a prefix must fit
 * in the value before, and a value over the cell limit is never assembled: only its first {@code maxValueBytes} bytes
 * are kept, all that a value within the limit can share with it.
 */
final class DeltaStrings {

    private final DeltaBinaryPackingValuesReader prefixes = new DeltaBinaryPackingValuesReader();
    private final DeltaLengthByteArrayValuesReader suffixes = new DeltaLengthByteArrayValuesReader();
    private final long maxValueBytes;
    /** The value before's first bytes, at most {@code maxValueBytes}. */
    private byte[] kept = new byte[0];
    /** The value before's length. */
    private long keptLength;

    private long length;

    /**
     * The values of {@code page} from byte {@code at} on.
     *
     * @param values the page's values, which its streams may not exceed
     */
    DeltaStrings(byte[] page, int at, int values, long maxValueBytes) throws IOException {
        this.maxValueBytes = maxValueBytes;
        ByteBufferInputStream in = ByteBufferInputStream.wrap(ByteBuffer.wrap(page));
        in.skipFully(at);
        EncodedCounts.checkDeltaHeader(page, at, values);
        prefixes.initFromPage(values, in);
        EncodedCounts.checkDeltaHeader(page, (int) in.position(), values);
        suffixes.initFromPage(values, in);
    }

    /** The next value, or null for one over {@code maxValueBytes} (its length is then {@link #length()}). */
    byte[] next() throws IOException {
        int prefix = prefixes.readInteger();
        Binary suffix = suffixes.readBytes();
        if (prefix < 0 || prefix > keptLength) {
            throw new IOException("a value declares " + prefix + " bytes in common with a value of " + keptLength);
        }
        length = (long) prefix + suffix.length();
        if (length > maxValueBytes && prefix >= maxValueBytes) {
            keptLength = length; // over the limit, and its first maxValueBytes bytes are those kept
            return null;
        }
        byte[] value = new byte[(int) Math.min(length, maxValueBytes)];
        int shared = Math.min(prefix, value.length);
        System.arraycopy(kept, 0, value, 0, shared);
        suffix.toByteBuffer().get(value, shared, value.length - shared);
        kept = value;
        keptLength = length;
        return length > maxValueBytes ? null : value;
    }

    /** The length of the value {@link #next()} returned last. */
    long length() {
        return length;
    }
}
