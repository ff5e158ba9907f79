package org.densenet4j.serve;

/** A request the service has no room for right now: answered 503 with {@code Retry-After}. */
final class OverloadedException extends Exception {

    private final long retryAfterSeconds;

    OverloadedException(String message, long retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    /** When a retry has a fair chance: about the time the queue ahead needs to drain. */
    long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
