package org.densenet4j.serve;

import com.google.gson.Gson;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.densenet4j.infer.NonFiniteOutputException;

/** An answer: status, type, body, and {@code Retry-After} seconds when positive. */
record Reply(int status, String contentType, byte[] body, long retryAfterSeconds) {

    private static final Gson GSON = new Gson();

    static Reply json(int status, Object body) {
        return new Reply(status, "application/json", GSON.toJson(body).getBytes(StandardCharsets.UTF_8), 0);
    }

    private Reply retryAfter(long seconds) {
        return new Reply(status, contentType, body, seconds);
    }

    private static Reply error(int status, String message) {
        return json(status, Map.of("error", message));
    }

    /** The answer to a failure: 4xx for what the client sent, 503 for what the service cannot do now. */
    static Reply of(Throwable failure) {
        Throwable e =
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (e instanceof BadUploadException bad) {
            return error(bad.status(), bad.getMessage());
        }
        if (e instanceof OverloadedException busy) {
            return error(503, busy.getMessage()).retryAfter(busy.retryAfterSeconds());
        }
        if (e instanceof NonFiniteOutputException) {
            return error(503, e.getMessage());
        }
        if (e instanceof TimeoutException) {
            return error(503, "not answered within " + PredictionServer.REQUEST_TIMEOUT_SECONDS + " s; retry")
                    .retryAfter(1);
        }
        if (e instanceof io.javalin.http.HttpResponseException http) {
            return error(http.getStatus(), http.getMessage());
        }
        if (e instanceof IllegalArgumentException) { // an unknown class or layer: the message names the valid ones
            return error(400, String.valueOf(e.getMessage()));
        }
        return error(500, "internal error: " + e);
    }
}
