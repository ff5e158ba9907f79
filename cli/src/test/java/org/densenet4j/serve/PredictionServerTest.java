package org.densenet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PredictionServerTest {

    static ServerFixture fixture;

    @BeforeAll
    static void start() throws IOException {
        fixture = new ServerFixture(new UploadLimits(200_000, 1_000_000, 4096), 8);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    private static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    @Test
    void healthAndModelInformation() throws Exception {
        assertEquals("ok", json(fixture.get("health")).get("status").getAsString());
        JsonObject model = json(fixture.get("model"));
        assertEquals("densenet-bc-40-12", model.get("model").getAsString());
        assertEquals(10, model.getAsJsonArray("classes").size());
        assertTrue(fixture.get("").body().contains("<input id=\"file\" type=\"file\""));
    }

    @Test
    void rawAndMultipartUploadsGiveTheClassifiersAnswer() throws Exception {
        BufferedImage image = ServerFixture.sample(0);
        String expected = fixture.classifier.classify(image).best().getClassName();
        for (HttpResponse<String> r : List.of(
                fixture.post("predict?topk=3", "image/png", ServerFixture.png(image)),
                fixture.postMultipart("image", "x.png", ServerFixture.png(image)))) {
            assertEquals(200, r.statusCode(), r.body());
            JsonArray predictions = json(r).getAsJsonArray("predictions");
            assertEquals(
                    expected, predictions.get(0).getAsJsonObject().get("label").getAsString());
            assertTrue(predictions.size() >= 3);
        }
    }

    @Test
    void badUploadsGetA4xxWithAJsonMessage() throws Exception {
        assertBad(fixture.post("predict", "image/png", new byte[0]), 400, "empty");
        assertBad(
                fixture.post("predict", "text/plain", "hello, not an image".getBytes(StandardCharsets.UTF_8)),
                415,
                "not a JPEG or PNG");
        byte[] truncated = java.util.Arrays.copyOf(ServerFixture.png(ServerFixture.sample(1)), 40);
        assertBad(fixture.post("predict", "image/png", truncated), 400, "malformed");
        BufferedImage huge = new BufferedImage(1200, 1000, BufferedImage.TYPE_INT_RGB);
        assertBad(fixture.post("predict", "image/png", ServerFixture.png(huge)), 413, "pixels");
        BufferedImage noisy = new BufferedImage(400, 400, BufferedImage.TYPE_INT_RGB);
        java.util.Random random = new java.util.Random(1);
        for (int y = 0; y < 400; y++) {
            for (int x = 0; x < 400; x++) {
                noisy.setRGB(x, y, random.nextInt());
            }
        }
        assertBad(fixture.post("predict", "image/png", ServerFixture.png(noisy)), 413, "exceeds the limit");
        assertBad(fixture.post("predict", "multipart/form-data; boundary=zzz", "garbage".getBytes()), 400, "multipart");
        assertBad(fixture.postMultipart("photo", "x.png", ServerFixture.png(ServerFixture.sample(0))), 400, "'image'");
        assertBad(
                fixture.post("predict?topk=zero", "image/png", ServerFixture.png(ServerFixture.sample(0))),
                400,
                "topk");
    }

    private static void assertBad(HttpResponse<String> r, int status, String words) {
        assertEquals(status, r.statusCode(), r.body());
        String error = json(r).get("error").getAsString();
        assertTrue(error.contains(words), error);
    }

    @Test
    void concurrentRequestsAreBatchedAndAllAnswered() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                int shift = i % 4;
                futures.add(pool.submit(
                        () -> fixture.post("predict", "image/png", ServerFixture.png(ServerFixture.sample(shift)))));
            }
            for (int i = 0; i < futures.size(); i++) {
                HttpResponse<String> r = futures.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                String expected = fixture.classifier
                        .classify(ServerFixture.sample(i % 4))
                        .best()
                        .getClassName();
                assertEquals(
                        expected,
                        json(r).getAsJsonArray("predictions")
                                .get(0)
                                .getAsJsonObject()
                                .get("label")
                                .getAsString());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void shutsDownCleanly() throws Exception {
        ServerFixture other = new ServerFixture(UploadLimits.defaults(), 4);
        assertEquals(200, other.get("health").statusCode());
        other.close();
        assertThrows(ConnectException.class, () -> other.get("health"));
    }

    @Test
    void explainAnswersAPictureOrTheMapAsNumbers() throws Exception {
        byte[] png = ServerFixture.png(ServerFixture.sample(0));
        HttpResponse<byte[]> picture = fixture.http.send(
                java.net.http.HttpRequest.newBuilder(fixture.base.resolve("explain?class=top"))
                        .header("Content-Type", "image/png")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(png))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, picture.statusCode());
        assertEquals("image/png", picture.headers().firstValue("Content-Type").orElse(""));
        BufferedImage drawn = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(picture.body()));
        assertTrue(drawn.getWidth() > 280 && drawn.getHeight() > 280, "a picture with the enlarged image");

        HttpResponse<String> numbers = fixture.http.send(
                java.net.http.HttpRequest.newBuilder(
                                fixture.base.resolve("explain?class=Trouser&method=gradcam&layer=block2"))
                        .header("Content-Type", "image/png")
                        .header("Accept", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(png))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, numbers.statusCode(), numbers.body());
        JsonObject e = json(numbers);
        assertEquals("Trouser", e.get("label").getAsString());
        assertEquals("gradcam", e.get("method").getAsString());
        assertEquals("block2", e.get("layer").getAsString());
        JsonArray map = e.getAsJsonArray("map");
        org.densenet4j.infer.Explanation direct = fixture.explainer.explain(
                ServerFixture.sample(0), "Trouser", org.densenet4j.infer.Explainer.Method.GRAD_CAM, 2);
        assertEquals(direct.height(), map.size());
        assertEquals(direct.at(3, 4), map.get(3).getAsJsonArray().get(4).getAsFloat(), 1e-6);

        HttpResponse<String> unknown = fixture.post("explain?class=Owl", "image/png", png);
        assertEquals(400, unknown.statusCode());
        assertTrue(json(unknown).get("error").getAsString().contains("Ankle boot"), unknown.body());
    }
}
