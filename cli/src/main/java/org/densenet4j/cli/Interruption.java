package org.densenet4j.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.densenet4j.base.AtomicFile;

/**
 * Ctrl-C and SIGTERM during long work: instead of exiting under libtorch's running threads (which once crashed
 * the JVM inside a oneDNN backward pass), the JVM's shutdown waits until the work has reached a safe point, a
 * finished step or batch, and has said what it kept. Work asks {@link #requested()} between steps and closes
 * this when it is done; the process then exits with the signal's status (130 for SIGINT, 143 for SIGTERM). Writes the
 * work makes before that safe point finish too: {@link AtomicFile}'s shutdown hook waits for it before it removes
 * the temporary files of writes still in flight.
 */
final class Interruption implements AutoCloseable {

    /** How long shutdown waits for a safe point: longer than any single step of a sensible workload. */
    static final long GRACE_SECONDS = 120;

    /** The conventional exit status of an interrupted command (128 + SIGINT). */
    static final int EXIT_INTERRUPTED = 130;

    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread hook = new Thread(this::awaitSafePoint, "densenet4j-interruption");
    private volatile boolean requested;

    Interruption() {
        // ImageIO's file-cached image streams are closed by its own shutdown hook (StreamCloser) while the work is
        // still finishing its writes (a PNG of curves failed with "closed"); memory-cached ones are not.
        javax.imageio.ImageIO.setUseCache(false);
        Runtime.getRuntime().addShutdownHook(hook);
        // A write the work is finishing (a checkpoint, embed's table) completes before its temporaries are swept.
        AtomicFile.letWritesFinish(done, GRACE_SECONDS);
    }

    /** True once a stop was asked for. */
    boolean requested() {
        return requested;
    }

    private void awaitSafePoint() {
        requested = true;
        try {
            done.await(GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The work has stopped (finished, failed or interrupted): shutdown may go on. */
    @Override
    public void close() {
        done.countDown();
        AtomicFile.workFinished(done);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Shutting down already: the hook is running and returns now that the work is done.
        }
    }
}
