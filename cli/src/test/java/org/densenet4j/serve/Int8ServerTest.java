package org.densenet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Classifications;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.densenet4j.infer.Precision;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code serve --precision int8}: the int8 module answers /predict, and /explain by CAM on the int8 network. */
class Int8ServerTest {

    @Test
    void answersWhatTheInt8ModelAnswersAndExplainsByCamAlone() throws Exception {
        Assumptions.assumeTrue(Precision.INT8.isSupported(), "this CPU has neither avx512_vnni nor amx_int8");
        try (ServerFixture fixture = new ServerFixture(UploadLimits.defaults(), 4, 2000, true)) {
            for (int i = 0; i < 4; i++) {
                BufferedImage image = ImageIO.read(Path.of("../models/fashion-mnist/samples/test-" + i + ".png")
                        .toFile());
                byte[] png = ServerFixture.png(image);
                Classifications.Classification direct =
                        fixture.classifier.classify(image).best();
                HttpResponse<String> predicted = fixture.post("predict", "image/png", png);
                assertEquals(200, predicted.statusCode(), predicted.body());
                JsonObject top = JsonParser.parseString(predicted.body())
                        .getAsJsonObject()
                        .getAsJsonArray("predictions")
                        .get(0)
                        .getAsJsonObject();
                assertEquals(direct.getClassName(), top.get("label").getAsString(), "image " + i);
                assertEquals(direct.getProbability(), top.get("probability").getAsDouble(), 1e-5);

                HttpResponse<String> explained = fixture.http.send(
                        HttpRequest.newBuilder(fixture.base.resolve("explain"))
                                .header("Content-Type", "image/png")
                                .header("Accept", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(png))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, explained.statusCode(), explained.body());
                JsonObject e = JsonParser.parseString(explained.body()).getAsJsonObject();
                assertEquals(direct.getClassName(), e.get("label").getAsString(), "image " + i);
                assertEquals("cam", e.get("method").getAsString());
                assertEquals(direct.getProbability(), e.get("probability").getAsDouble(), 1e-5);
            }
            HttpResponse<String> gradCam =
                    fixture.post("explain?method=gradcam", "image/png", ServerFixture.png(ServerFixture.sample(0)));
            assertEquals(400, gradCam.statusCode(), gradCam.body());
            String error = JsonParser.parseString(gradCam.body())
                    .getAsJsonObject()
                    .get("error")
                    .getAsString();
            assertTrue(error.contains("gradcam needs the float32 network's gradients"), error);
        }
    }
}
