package org.densenet4j.serve;

/**
 * A request body read whole, holding its share of {@link MemoryBudget} until closed (once decoded, or answered).
 * Closing twice gives the share back once.
 */
final class Upload implements AutoCloseable {

    private final byte[] buffer;
    private final int length;
    private final MemoryBudget memory;
    private long reserved;

    Upload(byte[] buffer, int length, MemoryBudget memory, long reserved) {
        this.buffer = buffer;
        this.length = length;
        this.memory = memory;
        this.reserved = reserved;
    }

    /** The body's bytes, without copying them. */
    java.io.InputStream stream() {
        return new java.io.ByteArrayInputStream(buffer, 0, length);
    }

    int length() {
        return length;
    }

    @Override
    public synchronized void close() {
        memory.release(reserved);
        reserved = 0;
    }
}
