package org.densenet4j.serve;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many requests may wait for a worker: as many as it can finish within a latency budget at the speed it has
 * measured,
 *
 * <pre>capacity = clamp(budget / time per request, floor, ceiling)</pre>
 *
 * where the time per request is a moving average of the worker's own measurements (a batch's time divided by its
 * size, so under load it is the batched throughput's inverse). A request admitted while fewer than {@code capacity}
 * wait is answered within about the budget; past it the service answers 503 at once instead of letting the queue,
 * and every client's latency, grow without bound. Until the first measurement the capacity is the floor.
 *
 * <p>Thread-safe.
 */
final class LatencyBudget {

    /** Weight of the newest measurement in the moving average: recent enough to follow load, smooth enough to hold. */
    private static final double SMOOTHING = 0.2;

    private final long budgetNanos;
    private final int floor;
    private final int ceiling;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile double nanosPerRequest = Double.NaN;

    /**
     * @param budgetMillis the longest a request should wait for its answer
     * @param floor the capacity before any measurement, and at least (a batch's worth)
     * @param ceiling the most requests ever waiting, whatever the measurements (bounds memory)
     */
    LatencyBudget(long budgetMillis, int floor, int ceiling) {
        if (budgetMillis < 1 || floor < 1 || ceiling < floor) {
            throw new IllegalArgumentException("latency budget " + budgetMillis + " ms must be at least 1 and floor "
                    + floor + " at least 1 and at most the ceiling " + ceiling);
        }
        this.budgetNanos = TimeUnit.MILLISECONDS.toNanos(budgetMillis);
        this.floor = floor;
        this.ceiling = ceiling;
    }

    /** How many requests may wait now. */
    int capacity() {
        double perRequest = nanosPerRequest;
        if (Double.isNaN(perRequest)) {
            return floor;
        }
        return (int) Math.max(floor, Math.min(ceiling, budgetNanos / Math.max(1.0, perRequest)));
    }

    /** Requests admitted and not yet released. */
    int pending() {
        return pending.get();
    }

    /** True if a request arriving now would be admitted (nothing is reserved). */
    boolean hasRoom() {
        return pending.get() < capacity();
    }

    /**
     * Admits one request, or refuses it naming the queue and when to retry.
     *
     * @throws OverloadedException if {@link #capacity()} requests are already waiting
     */
    void admit(String what) throws OverloadedException {
        while (true) {
            int now = pending.get();
            int capacity = capacity();
            if (now >= capacity) {
                throw overloaded(what, now, capacity);
            }
            if (pending.compareAndSet(now, now + 1)) {
                return;
            }
        }
    }

    /** The refusal {@link #admit} throws, for a caller that checks {@link #hasRoom()} first. */
    OverloadedException overloaded(String what) {
        return overloaded(what, pending.get(), capacity());
    }

    private OverloadedException overloaded(String what, int waiting, int capacity) {
        double perRequest = Double.isNaN(nanosPerRequest) ? budgetNanos / (double) floor : nanosPerRequest;
        long drainSeconds = (long) Math.ceil(waiting * perRequest / 1e9);
        return new OverloadedException(
                "busy: " + waiting + " " + what + " are waiting, as many as can be answered within the latency budget"
                        + " of " + TimeUnit.NANOSECONDS.toMillis(budgetNanos) + " ms (capacity " + capacity
                        + "); retry later",
                drainSeconds);
    }

    /** Releases an admitted request (answered, failed or abandoned). */
    void release() {
        pending.decrementAndGet();
    }

    /** Records that the worker took {@code nanos} to answer {@code requests} requests. */
    void record(long nanos, int requests) {
        if (requests < 1 || nanos < 0) {
            return;
        }
        double perRequest = (double) nanos / requests;
        double before = nanosPerRequest;
        nanosPerRequest = Double.isNaN(before) ? perRequest : before + SMOOTHING * (perRequest - before);
    }
}
