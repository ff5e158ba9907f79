package org.densenet4j.serve;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.BadMessageException;

/**
 * Reads request bodies without holding a thread while bytes are awaited (servlet asynchronous I/O: a listener takes
 * what has arrived, and no thread waits for the rest), so that hundreds of slow uploads cost connections, not
 * request threads. Every read is bounded:
 *
 * <ul>
 *   <li>by size: the limit is counted as bytes arrive, with or without a Content-Length (413);
 *   <li>by rate: after a grace period a body must keep arriving at {@code minBytesPerSecond} on average, checked as
 *       bytes arrive and by a timer every {@link #CHECK_MILLIS}, so a client that trickles or stalls is cut off
 *       (408) about a second after it falls behind, instead of at an idle timeout;
 *   <li>by memory: the buffers of all reads together come from one {@link MemoryBudget} (503 past it).
 * </ul>
 *
 * The request must be in asynchronous mode (Javalin's {@code ctx.future}) when {@link #read} is called.
 */
final class BodyReader implements AutoCloseable {

    /** How often the rate of every read in progress is checked, arriving bytes or not. */
    static final long CHECK_MILLIS = 250;

    /**
     * The first buffer when the client declares no length or a longer one: small, so that a trickling client holds
     * little memory; the buffer doubles as bytes arrive.
     */
    private static final int FIRST_BUFFER = 16 * 1024;

    private final MemoryBudget memory;
    private final long minBytesPerSecond;
    private final long graceMillis;
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("densenet4j-upload-timer"));

    BodyReader(MemoryBudget memory, long minBytesPerSecond, long graceMillis) {
        this.memory = memory;
        this.minBytesPerSecond = minBytesPerSecond;
        this.graceMillis = graceMillis;
    }

    /**
     * Reads the body of {@code request} whole, up to {@code maxBytes}.
     *
     * @param limitName how the limit is named in the 413 message
     * @return the body, or a failed future: {@link BadUploadException} (413, 408 or 400) or {@link
     *     OverloadedException} (the upload memory is taken)
     */
    CompletableFuture<Upload> read(HttpServletRequest request, long maxBytes, String limitName) {
        long declared = request.getContentLengthLong();
        // Jetty ends the body at a declared length, so one byte past it (or past the limit) shows an excess.
        Reading reading = new Reading(declared >= 0 ? Math.min(declared, maxBytes) : maxBytes, limitName);
        if (declared > maxBytes) {
            reading.fail(new BadUploadException(413, reading.tooLarge()));
            return reading.result;
        }
        try {
            ServletInputStream in = request.getInputStream();
            reading.in = in;
            reading.check =
                    timer.scheduleAtFixedRate(reading::checkRate, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
            in.setReadListener(reading);
        } catch (IOException | IllegalStateException e) {
            reading.fail(new BadUploadException(400, "cannot read upload: " + e.getMessage()));
        }
        return reading.result;
    }

    /** One body being read; Jetty calls the listener methods one at a time, the timer calls {@link #checkRate}. */
    private final class Reading implements ReadListener {

        final CompletableFuture<Upload> result = new CompletableFuture<>();
        /** The most bytes this body may hold: the limit, or less when the client declared less. */
        final long maxBytes;

        final String limitName;
        final long start = System.nanoTime();
        ServletInputStream in;
        ScheduledFuture<?> check;
        byte[] buffer = new byte[0];
        int size;
        long reserved;

        Reading(long maxBytes, String limitName) {
            this.maxBytes = maxBytes;
            this.limitName = limitName;
        }

        String tooLarge() {
            return "upload exceeds the limit of " + limitName;
        }

        @Override
        public synchronized void onDataAvailable() throws IOException {
            while (!result.isDone() && in.isReady()) {
                if (size == buffer.length && !grow()) {
                    return;
                }
                int n = in.read(buffer, size, buffer.length - size);
                if (n < 0) {
                    return; // onAllDataRead follows
                }
                size += n;
                if (size > maxBytes) {
                    fail(new BadUploadException(413, tooLarge()));
                    return;
                }
            }
            checkRate();
        }

        /** A larger buffer, up to one byte past the limit (to see an upload exceed it), paid from the memory. */
        private boolean grow() {
            int next = (int) Math.min(maxBytes + 1, Math.max(FIRST_BUFFER, 2L * buffer.length));
            if (next <= buffer.length) { // a body longer than it declared: Jetty should have ended it
                fail(new BadUploadException(400, "upload longer than its Content-Length"));
                return false;
            }
            try {
                memory.reserve(next - buffer.length);
            } catch (OverloadedException e) {
                fail(e);
                return false;
            }
            reserved += next - buffer.length;
            buffer = java.util.Arrays.copyOf(buffer, next);
            return true;
        }

        @Override
        public synchronized void onAllDataRead() {
            if (result.isDone()) {
                return;
            }
            stopChecking();
            Upload upload = new Upload(buffer, size, memory, reserved);
            reserved = 0;
            if (!result.complete(upload)) {
                upload.close();
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            if (t instanceof BadMessageException bad) { // Jetty's own verdict (a bad chunk, a timeout)
                fail(new BadUploadException(bad.getCode(), "upload refused: " + bad.getReason()));
            } else {
                fail(new BadUploadException(400, "cannot read upload: " + t.getMessage()));
            }
        }

        /** Fails the read if the body arrives slower than the minimum rate, after the grace period. */
        synchronized void checkRate() {
            if (result.isDone()) {
                stopChecking();
                return;
            }
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            if (elapsedMillis > graceMillis + size * 1000L / minBytesPerSecond) {
                fail(new BadUploadException(
                        408,
                        "upload too slow: " + size + " bytes in " + elapsedMillis + " ms; the minimum is "
                                + minBytesPerSecond + " bytes/s after " + graceMillis + " ms"));
            }
        }

        synchronized void fail(Exception e) {
            stopChecking();
            memory.release(reserved);
            reserved = 0;
            buffer = new byte[0];
            result.completeExceptionally(e);
        }

        private void stopChecking() {
            if (check != null) {
                check.cancel(false);
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
