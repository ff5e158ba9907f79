package org.densenet4j.serve;

import com.google.gson.Gson;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Jetty's answer to requests it rejects before they reach the service (a malformed URL or header, a slow
 * upload): {@code {"error": "..."}} like every other answer, instead of Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {

    private static final Gson GSON = new Gson();

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        String body = GSON.toJson(Map.of(
                "error",
                "bad request (" + status + "): " + (reason == null ? "the request could not be parsed" : reason)));
        return ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8));
    }
}
