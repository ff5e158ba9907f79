package org.densenet4j.spark;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * At most {@code limit} bytes of a stream, counting what was read: a page or header never reads past the bytes its
 * file declared for it, and a decompressor never produces more than the page declared.
 */
final class LimitedInputStream extends FilterInputStream {

    private long left;
    private long count;

    LimitedInputStream(InputStream in, long limit) {
        super(in);
        this.left = limit;
    }

    /** Bytes read (or skipped) so far. */
    long count() {
        return count;
    }

    /** Bytes that may still be read. */
    long left() {
        return left;
    }

    @Override
    public int read() throws IOException {
        if (left <= 0) {
            return -1;
        }
        int b = in.read();
        if (b >= 0) {
            left--;
            count++;
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (left <= 0) {
            return length == 0 ? 0 : -1;
        }
        int n = in.read(buffer, offset, (int) Math.min(length, left));
        if (n > 0) {
            left -= n;
            count += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = in.skip(Math.min(n, left));
        if (skipped > 0) {
            left -= skipped;
            count += skipped;
        }
        return skipped;
    }

    @Override
    public int available() throws IOException {
        return (int) Math.min(in.available(), left);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Leaves the underlying stream open: it belongs to the caller. */
    @Override
    public void close() {}
}
