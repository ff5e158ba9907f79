package org.densenet4j.serve;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of all uploads held in memory at once (arriving, or waiting to be decoded), bounded: past the bound a
 * request is refused with 503 instead of the heap growing with the number of clients. Thread-safe.
 */
final class UploadMemory {

    private final long maxBytes;
    private final AtomicLong held = new AtomicLong();

    UploadMemory(long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("upload memory must be at least 1 byte, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /**
     * Takes {@code bytes} from the budget.
     *
     * @throws OverloadedException if they would take the total past the bound
     */
    void reserve(long bytes) throws OverloadedException {
        while (true) {
            long now = held.get();
            if (now + bytes > maxBytes) {
                throw new OverloadedException(
                        "busy: uploads in progress hold " + now + " bytes of the server's " + maxBytes
                                + " bytes for uploads; retry later",
                        1);
            }
            if (held.compareAndSet(now, now + bytes)) {
                return;
            }
        }
    }

    /** Gives back bytes taken by {@link #reserve}. */
    void release(long bytes) {
        held.addAndGet(-bytes);
    }

    /** Bytes held now. */
    long held() {
        return held.get();
    }
}
