package org.densenet4j.serve;

import java.util.concurrent.CompletionException;
import java.util.function.Function;

/** A step of a request's pipeline that may fail with a checked exception (carried as a CompletionException). */
@FunctionalInterface
interface Step<T, R> {
    R apply(T value) throws Exception;

    static <T, R> Function<T, R> unchecked(Step<T, R> step) {
        return value -> {
            try {
                return step.apply(value);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        };
    }
}
