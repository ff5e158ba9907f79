package org.densenet4j.serve;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory that requests hold while they wait (upload bodies arriving or waiting to be decoded; decoded images
 * waiting for the explainer), bounded: past the bound a request is refused with 503 instead of the heap growing
 * with the number of clients. Thread-safe.
 */
final class MemoryBudget {

    private final String what;
    private final long maxBytes;
    private final AtomicLong held = new AtomicLong();

    /** @param what what holds the memory, for refusals ("uploads in progress") */
    MemoryBudget(String what, long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException(what + ": memory must be at least 1 byte, got " + maxBytes);
        }
        this.what = what;
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
                        "busy: " + what + " hold " + now + " bytes of the " + maxBytes + " bytes the server gives "
                                + "them; retry later",
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
}
