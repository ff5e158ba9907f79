package org.densenet4j.train;

/** The loss became NaN or infinite; training stops and the last good checkpoint is kept. */
public class DivergedException extends RuntimeException {

    public DivergedException(String message) {
        super(message);
    }
}
