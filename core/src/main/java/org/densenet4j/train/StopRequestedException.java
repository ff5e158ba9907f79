package org.densenet4j.train;

/**
 * Long work (training, a benchmark) stopped between two steps because its caller asked it to, typically on
 * Ctrl-C or SIGTERM. Nothing is half-done: the message says what was kept and how to continue.
 */
public final class StopRequestedException extends RuntimeException {

    private final boolean resumable;

    /** Stopped with nothing to continue from. */
    public StopRequestedException(String message) {
        this(message, false);
    }

    /** Stopped; {@code resumable} if a checkpoint was kept that the same work can resume from. */
    public StopRequestedException(String message, boolean resumable) {
        super(message);
        this.resumable = resumable;
    }

    /** Whether a kept checkpoint lets the same work continue (a training run's, resumed). */
    public boolean resumable() {
        return resumable;
    }
}
