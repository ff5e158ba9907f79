package org.densenet4j.train;

/**
 * Long work (training, a benchmark) stopped between two steps because its caller asked it to, typically on
 * Ctrl-C or SIGTERM. Nothing is half-done: the message says what was kept and how to continue.
 */
public final class StopRequestedException extends RuntimeException {

    public StopRequestedException(String message) {
        super(message);
    }
}
