package org.densenet4j.base;

/** A plan that needs more memory than the machine has, refused before anything was allocated. */
public final class InsufficientMemoryException extends IllegalArgumentException {

    public InsufficientMemoryException(String message) {
        super(message);
    }
}
