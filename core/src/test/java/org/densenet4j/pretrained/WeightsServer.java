package org.densenet4j.pretrained;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local HTTP server for fetching tests: serves one file under {@code /models/NAME}, counts requests, and can
 * break off the body halfway (a truncated download).
 */
final class WeightsServer implements AutoCloseable {

    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile byte[] body;
    private volatile boolean truncate;

    WeightsServer(String name, byte[] body) throws IOException {
        this.body = body;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/models/" + name, exchange -> {
            requests.incrementAndGet();
            byte[] b = this.body;
            exchange.sendResponseHeaders(200, b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                // Closing a fixed-length body short makes the server drop the connection: a truncated download.
                out.write(b, 0, truncate ? b.length / 2 : b.length);
            } catch (IOException e) {
                // The short body, or a client that gave up: nothing to do.
            }
        });
        server.start();
    }

    static WeightsServer serving(Path file) throws IOException {
        return new WeightsServer(file.getFileName().toString(), Files.readAllBytes(file));
    }

    /** The URL of the file served. */
    URI url(String name) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/models/" + name);
    }

    int requests() {
        return requests.get();
    }

    void serve(byte[] other) {
        body = other;
    }

    void truncate() {
        truncate = true;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
