package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** explain's interface: the pictures, the JSON scripts read, and the errors for what cannot be explained. */
class ExplainCommandTest {

    static final String SAMPLES = "../models/fashion-mnist/samples";

    @TempDir
    Path tmp;

    @Test
    void writesAPicturePerImageAndClassAndReportsThePeaks() throws Exception {
        Path out = tmp.resolve("out");
        CliRunner r = CliRunner.run(
                "explain", SAMPLES, "--class", "top", "--class", "Sneaker", "--out", out.toString(), "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonArray all = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("explanations");
        assertEquals(8, all.size(), "4 images x 2 classes");
        JsonObject first = all.get(0).getAsJsonObject();
        assertEquals("Ankle boot", first.get("label").getAsString());
        assertEquals("cam", first.get("method").getAsString());
        assertEquals("block3", first.get("layer").getAsString());
        JsonObject peak = first.getAsJsonObject("peak");
        assertTrue(peak.get("x").getAsInt() >= 0 && peak.get("x").getAsInt() < 28, peak.toString());
        assertEquals(7, first.getAsJsonArray("map").size(), "CAM of a 28x28 image on the 7x7 final maps");
        assertEquals(7, first.getAsJsonArray("map").get(0).getAsJsonArray().size());
        assertEquals("Sneaker", all.get(1).getAsJsonObject().get("label").getAsString());
        for (int i = 0; i < all.size(); i++) {
            Path png = Path.of(all.get(i).getAsJsonObject().get("png").getAsString());
            BufferedImage picture = ImageIO.read(png.toFile());
            assertTrue(picture.getWidth() > 280, png.toString());
        }
        try (var files = Files.list(out)) {
            assertEquals(8, files.filter(f -> f.toString().endsWith(".png")).count());
        }

        CliRunner grad = CliRunner.run(
                "explain",
                SAMPLES + "/test-0.png",
                "--method",
                "gradcam",
                "--layer",
                "block1",
                "--out",
                out.toString(),
                "--json");
        assertEquals(0, grad.exitCode(), grad.err());
        JsonObject g = JsonParser.parseString(grad.out())
                .getAsJsonObject()
                .getAsJsonArray("explanations")
                .get(0)
                .getAsJsonObject();
        assertEquals("block1", g.get("layer").getAsString());
        assertEquals(28, g.getAsJsonArray("map").size(), "block 1 works on 28x28 maps");
    }

    @Test
    void whatCannotBeExplainedExitsTwoNamingTheValidChoices() {
        String out = tmp.resolve("none").toString();
        CliRunner name = CliRunner.run("explain", SAMPLES, "--class", "Owl", "--out", out);
        assertEquals(2, name.exitCode());
        assertTrue(name.err().contains("Ankle boot") && name.err().contains("0..9"), name.err());
        CliRunner index = CliRunner.run("explain", SAMPLES, "--class", "10", "--out", out);
        assertEquals(2, index.exitCode());
        CliRunner layer = CliRunner.run("explain", SAMPLES, "--method", "gradcam", "--layer", "block7", "--out", out);
        assertEquals(2, layer.exitCode());
        assertTrue(layer.err().contains("block1..block3"), layer.err());
        CliRunner camInside = CliRunner.run("explain", SAMPLES, "--layer", "block1", "--out", out);
        assertEquals(2, camInside.exitCode());
        assertTrue(camInside.err().contains("gradcam"), camInside.err());
        CliRunner method = CliRunner.run("explain", SAMPLES, "--method", "lime", "--out", out);
        assertEquals(2, method.exitCode());
        assertTrue(method.err().contains("cam, gradcam"), method.err());
        assertTrue(Files.notExists(tmp.resolve("none")), "nothing written");
    }

    @Test
    void anExistingPictureIsRefusedUnlessOverwriteAndAMissingParentIsAnError() throws Exception {
        Path out = tmp.resolve("why");
        String sample = SAMPLES + "/test-0.png";
        assertEquals(
                0, CliRunner.run("explain", sample, "--out", out.toString()).exitCode());
        Path png;
        try (var files = Files.list(out)) {
            png = files.findFirst().orElseThrow();
        }
        byte[] first = Files.readAllBytes(png);
        Files.write(png, new byte[] {1, 2, 3});
        CliRunner again = CliRunner.run("explain", sample, "--out", out.toString());
        assertEquals(2, again.exitCode(), again.err());
        assertEquals(1, again.err().lines().count(), again.err());
        assertTrue(again.err().contains(png + " exists already: give --overwrite"), again.err());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(png), "left as it was");
        CliRunner replaced = CliRunner.run("explain", sample, "--out", out.toString(), "--overwrite");
        assertEquals(0, replaced.exitCode(), replaced.err());
        assertArrayEquals(first, Files.readAllBytes(png));

        Path orphan = tmp.resolve("missing").resolve("why");
        CliRunner missing = CliRunner.run("explain", sample, "--out", orphan.toString());
        assertEquals(2, missing.exitCode(), missing.err());
        assertTrue(missing.err().contains("its parent " + orphan.getParent() + " does not exist"), missing.err());
        assertFalse(Files.exists(orphan.getParent()));
    }
}
