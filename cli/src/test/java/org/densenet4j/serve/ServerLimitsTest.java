package org.densenet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a hostile or careless client can do to the server: each ends in a JSON answer, and /health keeps answering. */
class ServerLimitsTest {

    static ServerFixture fixture;

    @BeforeAll
    static void start() throws IOException {
        fixture = new ServerFixture(new UploadLimits(200_000, 1_000_000, 4096), 8);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    private static String raw(String request) throws IOException {
        try (Socket s = new Socket(fixture.base.getHost(), fixture.base.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aChunkedUploadIsCutOffAtTheLimitWhileItStreams() throws Exception {
        // 50 MB without a Content-Length: refused once 200 kB have arrived, not buffered whole first.
        InputStream endless = new InputStream() {
            long left = 50L << 20;

            @Override
            public int read() {
                return left-- > 0 ? 7 : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = (int) Math.min(len, left);
                if (n <= 0) {
                    return -1;
                }
                left -= n;
                return n;
            }
        };
        HttpRequest request = HttpRequest.newBuilder(fixture.base.resolve("predict"))
                .header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> endless))
                .build();
        HttpResponse<String> r;
        try {
            r = fixture.http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) { // the server may close the connection while the client still sends
            return;
        }
        assertEquals(413, r.statusCode(), r.body());
        assertTrue(r.body().contains("exceeds the limit"), r.body());
    }

    @Test
    void aHugeExtraMultipartFieldIsRefused() throws Exception {
        String boundary = "b0undary";
        StringBuilder body = new StringBuilder();
        body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"notes\"\r\n\r\n");
        body.append("x".repeat(1 << 20));
        body.append("\r\n--").append(boundary).append("--\r\n");
        HttpResponse<String> r = fixture.post(
                "predict",
                "multipart/form-data; boundary=" + boundary,
                body.toString().getBytes(StandardCharsets.US_ASCII));
        assertEquals(413, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("{\"error\""), r.body());
    }

    @Test
    void wrongMethodsUnknownPathsAndMalformedUrlsGetJson() throws Exception {
        HttpResponse<String> delete = fixture.http.send(
                HttpRequest.newBuilder(fixture.base.resolve("predict")).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, delete.statusCode(), delete.body());
        assertTrue(delete.body().contains("not allowed"), delete.body());
        HttpResponse<String> missing = fixture.get("nowhere");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().startsWith("{\"error\""), missing.body());
        String malformed = raw("GET /%zz%%/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(malformed.startsWith("HTTP/1.1 400"), malformed);
        assertTrue(malformed.contains("application/json") && malformed.contains("{\"error\""), malformed);
    }

    @Test
    void modelInformationDoesNotRevealTheServersFolders() throws Exception {
        String model = fixture.get("model").body();
        assertTrue(model.contains("\"checkpoint\":\"densenet-bc-40-12.d4j\""), model);
    }

    @Test
    void healthKeepsAnsweringWhileManyClientsTrickleTheirUploads() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 60; i++) {
                Socket s = new Socket(fixture.base.getHost(), fixture.base.getPort());
                OutputStream out = s.getOutputStream();
                out.write(("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000"
                                + "\r\n\r\nx")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                slow.add(s);
            }
            Thread.sleep(500); // let them all reach a request thread
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                HttpResponse<String> health = fixture.get("health");
                double seconds = (System.nanoTime() - start) / 1e9;
                assertEquals(200, health.statusCode());
                assertTrue(seconds < 2, "/health took " + seconds + " s with 60 slow uploads open");
            }
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void uploadsOfNothingAreBadRequests() throws Exception {
        HttpResponse<String> r = fixture.http.send(
                HttpRequest.newBuilder(fixture.base.resolve("predict"))
                        .POST(HttpRequest.BodyPublishers.fromPublisher(
                                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[0]))))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
    }

    @Test
    void aModelAnsweringNanGetsAJsonErrorNotA500() throws Exception {
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
            org.densenet4j.infer.TrainedModel loaded =
                    org.densenet4j.io.ModelFiles.open(ServerFixture.BUNDLED, manager);
            loaded.network().getParameters().valueAt(0).getArray().muli(Float.NaN);
            org.densenet4j.infer.ImageClassifier broken =
                    new org.densenet4j.infer.ImageClassifier(loaded.network(), loaded.spec(), manager);
            PredictionServer server = new PredictionServer(
                    broken,
                    new org.densenet4j.infer.Explainer(loaded.network(), loaded.spec(), manager),
                    "broken.d4j",
                    new UploadLimits(200_000, 1_000_000, 4096),
                    1,
                    0,
                    2000);
            try {
                java.net.URI base = java.net.URI.create("http://127.0.0.1:" + server.start("127.0.0.1", 0) + "/");
                HttpResponse<String> r = fixture.http.send(
                        HttpRequest.newBuilder(base.resolve("predict"))
                                .header("Content-Type", "image/png")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(
                                        ServerFixture.png(ServerFixture.sample(0))))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(503, r.statusCode(), r.body());
                assertTrue(r.body().contains("NaN or infinite"), r.body());
            } finally {
                server.close();
            }
        }
    }
}
