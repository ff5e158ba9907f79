package org.densenet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
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
        fixture = new ServerFixture(new UploadLimits(200_000, 16_777_216, 4096), 8);
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
    void healthAndNormalClientsAreAnsweredWhile300SlowClientsHoldConnections() throws Exception {
        byte[] png = ServerFixture.png(ServerFixture.sample(0));
        List<Socket> bodyTricklers = new ArrayList<>();
        List<Socket> headerTricklers = new ArrayList<>();
        java.util.concurrent.ScheduledExecutorService trickle =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < 300; i++) {
                Socket s = new Socket(fixture.base.getHost(), fixture.base.getPort());
                s.setSoTimeout(5_000);
                String start = i % 2 == 0
                        ? "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\nx"
                        : "POST /explain HTTP/1.1\r\nHost: x\r\nX-Slow: ";
                s.getOutputStream().write(start.getBytes(StandardCharsets.ISO_8859_1));
                (i % 2 == 0 ? bodyTricklers : headerTricklers).add(s);
            }
            // One byte every 2 s on every connection: under the idle timeout, far under any useful rate.
            trickle.scheduleAtFixedRate(
                    () -> {
                        for (Socket s : concat(bodyTricklers, headerTricklers)) {
                            try {
                                s.getOutputStream().write('y');
                            } catch (IOException e) { // cut off by the server: as it should
                            }
                        }
                    },
                    2,
                    2,
                    java.util.concurrent.TimeUnit.SECONDS);
            long end = System.nanoTime() + 6_000_000_000L;
            int rounds = 0;
            while (System.nanoTime() < end) {
                long start = System.nanoTime();
                HttpResponse<String> health = fixture.get("health");
                double seconds = (System.nanoTime() - start) / 1e9;
                assertEquals(200, health.statusCode());
                assertTrue(seconds < 2, "/health took " + seconds + " s with 300 slow clients connected");
                HttpResponse<String> predict = fixture.post("predict", "image/png", png);
                assertEquals(200, predict.statusCode(), predict.body());
                rounds++;
                Thread.sleep(200);
            }
            assertTrue(rounds > 10, "only " + rounds + " rounds in 6 s");
            // The body tricklers were cut off for their rate, long before the idle timeout.
            for (Socket s : bodyTricklers) {
                String answer = new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
                assertEquals("HTTP/1.1 408", answer);
            }
        } finally {
            trickle.shutdownNow();
            for (Socket s : concat(bodyTricklers, headerTricklers)) {
                s.close();
            }
        }
    }

    private static List<Socket> concat(List<Socket> a, List<Socket> b) {
        List<Socket> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String error(HttpResponse<String> r) {
        return com.google.gson.JsonParser.parseString(r.body())
                .getAsJsonObject()
                .get("error")
                .getAsString();
    }

    @Test
    void imagesOfAbsurdShapeAreRefusedFromTheirHeaderOnEveryEndpoint() throws Exception {
        // 31 KB and 16 KB files of 16 million pixels, under the pixel limit: the side limit refuses them.
        for (byte[] png : List.of(ServerFixture.blankPng(1, 16_000_000), ServerFixture.blankPng(16_000_000, 1))) {
            assertTrue(png.length < 40_000, png.length + " bytes");
            // Sixteen at once on each path: the answer is about the image, never about how busy the server is.
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
            try {
                for (String path : List.of("explain", "explain?method=gradcam&layer=block1", "predict")) {
                    List<java.util.concurrent.Future<HttpResponse<String>>> answers = new ArrayList<>();
                    for (int i = 0; i < 16; i++) {
                        answers.add(pool.submit(() -> fixture.post(path, "image/png", png)));
                    }
                    for (java.util.concurrent.Future<HttpResponse<String>> answer : answers) {
                        HttpResponse<String> r = answer.get();
                        assertEquals(413, r.statusCode(), path + ": " + r.body());
                        assertTrue(error(r).contains("exceeds the limit of 4096 pixels a side"), error(r));
                    }
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void anImageOfExtremeShapeWithinTheLimitsGetsABoundedPicture() throws Exception {
        // Scaled to 280 pixels on its shorter side, a 1 x 4000 image would be a 280 x 1,120,000 canvas (1.2 GB).
        byte[] png = ServerFixture.blankPng(1, 4000);
        HttpResponse<byte[]> picture = fixture.http.send(
                HttpRequest.newBuilder(fixture.base.resolve("explain"))
                        .header("Content-Type", "image/png")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(png))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, picture.statusCode());
        java.awt.image.BufferedImage drawn = javax.imageio.ImageIO.read(new ByteArrayInputStream(picture.body()));
        assertTrue(drawn.getWidth() < 2000 && drawn.getHeight() < 2000, drawn.getWidth() + "x" + drawn.getHeight());
        HttpResponse<String> numbers = fixture.http.send(
                HttpRequest.newBuilder(fixture.base.resolve("explain"))
                        .header("Content-Type", "image/png")
                        .header("Accept", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(png))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, numbers.statusCode(), numbers.body());
        com.google.gson.JsonObject peak = com.google.gson.JsonParser.parseString(numbers.body())
                .getAsJsonObject()
                .getAsJsonObject("peak");
        assertTrue(peak.get("y").getAsInt() < 4000 && peak.get("x").getAsInt() < 1, "peak in image pixels: " + peak);
    }

    @Test
    void hostileRequestsToEveryEndpointGetA4xxWithAJsonError() throws Exception {
        byte[] png = ServerFixture.png(ServerFixture.sample(0));
        java.io.ByteArrayOutputStream jpeg = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(ServerFixture.sample(0), "jpg", jpeg);
        byte[] zeroWidth = ServerFixture.blankPng(1, 1);
        zeroWidth[16 + 3] = 0; // IHDR width 1 -> 0 (the CRC no longer matches either)
        String multipartStart = "--zzz\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\n";
        record Case(String path, String type, byte[] body) {}
        List<Case> cases = new ArrayList<>();
        for (String endpoint : List.of("predict", "explain")) {
            cases.add(new Case(endpoint, null, new byte[0]));
            cases.add(new Case(endpoint, "image/png", new byte[0]));
            cases.add(new Case(endpoint, "text/plain", "not an image".getBytes(StandardCharsets.UTF_8)));
            cases.add(new Case(endpoint, "application/octet-stream", new byte[] {0, 1, 2, 3, 4, 5, 6, 7}));
            cases.add(new Case(endpoint, "multipart/form-data", png));
            cases.add(new Case(endpoint, "multipart/form-data; boundary=zzz", "garbage".getBytes()));
            cases.add(new Case(
                    endpoint,
                    "multipart/form-data; boundary=zzz",
                    (multipartStart + "half a part").getBytes(StandardCharsets.ISO_8859_1)));
            cases.add(new Case(
                    endpoint,
                    "multipart/form-data; boundary=zzz",
                    ("--zzz\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n".repeat(40) + "--zzz--\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1)));
            cases.add(new Case(endpoint, "image/png", java.util.Arrays.copyOf(png, 40)));
            cases.add(new Case(endpoint, "image/jpeg", java.util.Arrays.copyOf(jpeg.toByteArray(), 100)));
            cases.add(new Case(endpoint, "image/png", zeroWidth));
        }
        for (String query : List.of(
                "predict?topk=99999999999",
                "predict?topk=-1",
                "predict?topk=",
                "predict?topk=%zz",
                "predict?topk=%",
                "explain?layer=block99",
                "explain?layer=block",
                "explain?layer=%zz",
                "explain?method=nope",
                "explain?class=Owl",
                "explain?class=99999",
                "explain?class=-1",
                "explain?method=cam&layer=block1")) {
            cases.add(new Case(query, "image/png", png));
        }
        for (Case c : cases) {
            int status;
            String body;
            if (c.path().contains("%")) { // a malformed URI: Java's client refuses to send it, so a raw socket does
                String answer = raw("POST /" + c.path() + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + c.type()
                        + "\r\nContent-Length: " + c.body().length + "\r\nConnection: close\r\n\r\n"
                        + new String(c.body(), StandardCharsets.ISO_8859_1));
                status = Integer.parseInt(answer.substring(9, 12));
                body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
            } else {
                HttpResponse<String> r = fixture.post(c.path(), c.type(), c.body());
                status = r.statusCode();
                body = r.body();
            }
            String what = c.path() + " " + c.type() + " " + c.body().length + " bytes: " + body;
            assertTrue(status >= 400 && status < 500, status + " for " + what);
            assertTrue(body.startsWith("{\"error\":\""), what);
        }
        String hugeHeader = raw(
                "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64_000) + "\r\nConnection: close\r\n\r\n");
        assertTrue(
                hugeHeader.startsWith("HTTP/1.1 431"),
                hugeHeader.lines().findFirst().orElse(""));
        assertTrue(hugeHeader.contains("{\"error\""), hugeHeader);
        HttpResponse<String> many = fixture.post("predict?topk=1000000", "image/png", png);
        assertEquals(200, many.statusCode(), "a topk beyond the classes gives them all: " + many.body());
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
