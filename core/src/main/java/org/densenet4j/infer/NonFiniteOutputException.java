package org.densenet4j.infer;

/**
 * The model answered NaN or infinity: its weights hold such values (a .pth loaded with --non-strict, or a
 * diverged run), so no prediction it makes can be trusted. Raised instead of printing "NaN%" or failing to
 * serialise the answer.
 */
public final class NonFiniteOutputException extends IllegalStateException {

    public NonFiniteOutputException(String message) {
        super(message);
    }
}
