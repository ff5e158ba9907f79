package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train, eval and predict verbs end to end on real Fashion-MNIST (a tiny run). */
class TrainEvalPredictCommandTest {

    @TempDir
    static Path tmp;

    static Path run;

    @BeforeAll
    static void trainTinyModel() {
        run = tmp.resolve("run");
        CliRunner r = CliRunner.run(
                "train",
                "--model",
                "densenet-bc-16-4",
                "--train-limit",
                "512",
                "--test-limit",
                "128",
                "--epochs",
                "1",
                "--run-dir",
                run.toString(),
                "--show",
                "3",
                "--no-download");
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertTrue(r.out().contains("top-1 accuracy"), r.out());
        assertTrue(r.out().contains("predictions for test images"), r.out());
    }

    /** One epoch of densenet-bc-16-4 on 64 images into {@code runDir}, with {@code extra} options. */
    private static CliRunner trainTiny(Path runDir, String... extra) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
                "train",
                "--model",
                "densenet-bc-16-4",
                "--train-limit",
                "64",
                "--test-limit",
                "32",
                "--epochs",
                "1",
                "--run-dir",
                runDir.toString(),
                "--show",
                "0",
                "--no-download"));
        args.addAll(java.util.List.of(extra));
        return CliRunner.run(args.toArray(String[]::new));
    }

    private static String checkpoint() {
        return run.resolve("checkpoint.d4j").toString();
    }

    @Test
    void evalPrintsAccuraciesAndWritesTheConfusionPlot() {
        Path png = tmp.resolve("confusion.png");
        CliRunner r = CliRunner.run(
                "eval",
                "--checkpoint",
                checkpoint(),
                "--test-limit",
                "128",
                "--json",
                "--confusion-png",
                png.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(128, json.get("images").getAsInt());
        assertTrue(json.get("top5").getAsDouble() >= json.get("top1").getAsDouble());
        assertEquals(10, json.getAsJsonArray("confusion").size());
        assertTrue(png.toFile().length() > 0);
    }

    @Test
    void evalNeverReplacesTheRunsOwnConfusionPlot() throws Exception {
        Path own = run.resolve("confusion.png");
        byte[] before = Files.readAllBytes(own);
        CliRunner r = CliRunner.run("eval", "--checkpoint", checkpoint(), "--test-limit", "64");
        assertEquals(0, r.exitCode(), r.err());
        assertArrayEquals(before, Files.readAllBytes(own), "the training's final plot is kept");
        assertTrue(r.out().contains("is the run's own"), r.out());
    }

    @Test
    void predictClassifiesAnySizeAndColourAndSkipsBrokenFiles() throws Exception {
        Path images = tmp.resolve("images");
        Files.createDirectories(images);
        Files.copy(run.resolve("samples/test-0.png"), images.resolve("grey-28.png"));
        BufferedImage big = new BufferedImage(100, 60, BufferedImage.TYPE_INT_RGB);
        big.setRGB(50, 30, 0xffcc00);
        ImageIO.write(big, "jpg", images.resolve("colour-100x60.jpg").toFile());
        Files.write(images.resolve("broken.png"), new byte[] {9, 9, 9});
        CliRunner r =
                CliRunner.run("predict", images.toString(), "--checkpoint", checkpoint(), "--topk", "2", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonArray predictions = json.getAsJsonArray("predictions");
        assertEquals(2, predictions.size());
        JsonArray top = predictions.get(0).getAsJsonObject().getAsJsonArray("top");
        assertEquals(2, top.size());
        double p0 = top.get(0).getAsJsonObject().get("probability").getAsDouble();
        double p1 = top.get(1).getAsJsonObject().get("probability").getAsDouble();
        assertTrue(p0 >= p1 && p0 <= 1 && p1 >= 0);
        assertEquals(1, json.getAsJsonArray("skipped").size());
        assertTrue(json.getAsJsonArray("skipped")
                .get(0)
                .getAsJsonObject()
                .get("file")
                .getAsString()
                .endsWith("broken.png"));
    }

    @Test
    void badInputsGiveClearErrorsAndNonZeroExits() throws Exception {
        CliRunner missing = CliRunner.run("predict", tmp.resolve("nope.png").toString(), "--checkpoint", checkpoint());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("nope.png"), missing.err());

        Path notCheckpoint = tmp.resolve("not-a-checkpoint.d4j");
        Files.writeString(notCheckpoint, "hello");
        CliRunner bad = CliRunner.run("eval", "--checkpoint", notCheckpoint.toString());
        assertEquals(1, bad.exitCode());
        assertTrue(
                bad.err().contains("not-a-checkpoint.d4j") && bad.err().contains("not a densenet4j checkpoint"),
                bad.err());

        CliRunner otherModel = CliRunner.run(
                "train",
                "--model",
                "densenet-bc-16-8",
                "--train-limit",
                "64",
                "--test-limit",
                "32",
                "--epochs",
                "1",
                "--run-dir",
                run.toString(),
                "--resume",
                "--show",
                "0",
                "--no-download");
        assertEquals(1, otherModel.exitCode());
        assertTrue(otherModel.err().contains("another model"), otherModel.err());

        CliRunner noData = CliRunner.run(
                "train", "--dataset", "mnist", "--data", tmp.resolve("empty").toString(), "--no-download");
        assertEquals(1, noData.exitCode());
        assertTrue(noData.err().contains("--data"), noData.err());

        Path single = tmp.resolve("single/only");
        Files.createDirectories(single);
        Files.copy(run.resolve("samples/test-1.png"), single.resolve("a.png"));
        CliRunner oneClass =
                CliRunner.run("train", "--dataset", tmp.resolve("single").toString());
        assertEquals(1, oneClass.exitCode());
        assertTrue(oneClass.err().contains("at least 2"), oneClass.err());
    }

    @Test
    void aFinishedRunIsNeverOverwrittenWithoutBeingAsked() throws Exception {
        byte[] before = Files.readAllBytes(run.resolve("checkpoint.d4j"));
        CliRunner again = trainTiny(run);
        assertEquals(2, again.exitCode(), again.err());
        assertTrue(
                again.err().contains("already holds a run")
                        && again.err().contains("--resume")
                        && again.err().contains("--overwrite"),
                again.err());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(run.resolve("checkpoint.d4j"))));

        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        CliRunner notAFolder = trainTiny(file);
        assertEquals(2, notAFolder.exitCode(), notAFolder.err());
        assertTrue(notAFolder.err().contains("is a file, not a run folder"), notAFolder.err());

        Path replaced = tmp.resolve("replaced");
        Files.createDirectories(replaced);
        Files.copy(run.resolve("checkpoint.d4j"), replaced.resolve("checkpoint.d4j"));
        CliRunner overwrite = trainTiny(replaced, "--overwrite");
        assertEquals(0, overwrite.exitCode(), overwrite.err());
        assertTrue(overwrite.out().contains("--overwrite: removed the earlier run"), overwrite.out());
    }

    @Test
    void defaultRunFoldersAreNumberedInsteadOfOverwritten() throws Exception {
        Path base = tmp.resolve("runs/fashion-mnist-x");
        java.io.StringWriter text = new java.io.StringWriter();
        java.io.PrintWriter out = new java.io.PrintWriter(text);
        assertEquals(base, RunFolders.forNewOrResumedRun(base, false, out));
        Files.createDirectories(base);
        Files.writeString(base.resolve("checkpoint.d4j"), "earlier");
        Path second = RunFolders.forNewOrResumedRun(base, false, out);
        assertEquals(tmp.resolve("runs/fashion-mnist-x-2"), second);
        assertTrue(text.toString().contains("holds an earlier run"), text.toString());
        assertEquals(base, RunFolders.forNewOrResumedRun(base, true, out));
        Files.createDirectories(second);
        Files.writeString(second.resolve("checkpoint.d4j"), "later");
        assertEquals(second, RunFolders.forNewOrResumedRun(base, true, out), "--resume takes the newest run");
    }

    /** Three classes of grey 28x28 pictures: dark, light and striped, 8 of each. */
    private static Path threeClassFolder() throws Exception {
        Path folder = tmp.resolve("three-classes");
        String[] classes = {"dark", "light", "striped"};
        java.util.Random random = new java.util.Random(5);
        for (int c = 0; c < classes.length; c++) {
            Files.createDirectories(folder.resolve(classes[c]));
            for (int i = 0; i < 8; i++) {
                BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        int level = c == 0 ? 30 : c == 1 ? 220 : (x / 4) % 2 == 0 ? 0 : 255;
                        level = Math.max(0, Math.min(255, level + random.nextInt(21) - 10));
                        img.getRaster().setSample(x, y, 0, level);
                    }
                }
                ImageIO.write(
                        img,
                        "png",
                        folder.resolve(classes[c]).resolve(i + ".png").toFile());
            }
        }
        return folder;
    }

    @Test
    void trainWithWeightsFineTunesAndReinitialisesTheClassifier() throws Exception {
        Path tuned = tmp.resolve("tuned");
        CliRunner r = CliRunner.run(
                "train",
                "--weights",
                checkpoint(),
                "--dataset",
                threeClassFolder().toString(),
                "--channels",
                "1",
                "--image-size",
                "28",
                "--holdout",
                "0.25",
                "--epochs",
                "1",
                "--lr",
                "0.01",
                "--freeze",
                "block1",
                "--backbone-lr-scale",
                "0.1",
                "--run-dir",
                tuned.toString(),
                "--show",
                "0");
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertTrue(r.out().contains("training densenet-bc-16-4"), r.out());
        assertTrue(r.out().contains("freeze block1, backbone learning rate x0.1"), r.out());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                        "loaded (\\d+) tensors; classifier re-initialised: 10 -> 3 classes")
                .matcher(r.out());
        assertTrue(m.find(), r.out());
        CliRunner eval = CliRunner.run(
                "eval",
                "--checkpoint",
                tuned.resolve("checkpoint.d4j").toString(),
                "--dataset",
                threeClassFolder().toString(),
                "--channels",
                "1",
                "--image-size",
                "28",
                "--json");
        assertEquals(0, eval.exitCode(), eval.err() + eval.out());
        assertEquals(
                3,
                JsonParser.parseString(eval.out())
                        .getAsJsonObject()
                        .getAsJsonArray("confusion")
                        .size());
    }

    @Test
    void trainWithWeightsOfAnotherModelExitsTwoNamingBoth() throws Exception {
        CliRunner r = CliRunner.run(
                "train",
                "--weights",
                checkpoint(),
                "--model",
                "densenet-bc-100-12",
                "--dataset",
                threeClassFolder().toString(),
                "--channels",
                "1",
                "--image-size",
                "28",
                "--run-dir",
                tmp.resolve("mismatch").toString());
        assertEquals(2, r.exitCode(), r.err() + r.out());
        assertTrue(r.err().contains("densenet-bc-16-4") && r.err().contains("densenet-bc-100-12"), r.err());
        assertTrue(Files.notExists(tmp.resolve("mismatch").resolve("checkpoint.d4j")));
    }

    @Test
    void aGreyModelCannotFineTuneOnColourImages() throws Exception {
        CliRunner r = CliRunner.run(
                "train",
                "--weights",
                checkpoint(),
                "--dataset",
                threeClassFolder().toString(),
                "--channels",
                "3",
                "--image-size",
                "28",
                "--run-dir",
                tmp.resolve("colour").toString());
        assertEquals(2, r.exitCode(), r.err() + r.out());
        assertTrue(r.err().contains("3 channels") && r.err().contains("convert the images to grey"), r.err());
    }

    @Test
    void fineTuningFlagsWithoutWeightsOrWithABadPartAreUsageErrors() {
        CliRunner noWeights = CliRunner.run("train", "--freeze", "features", "--epochs", "1");
        assertEquals(2, noWeights.exitCode(), noWeights.err());
        assertTrue(noWeights.err().contains("--weights FILE"), noWeights.err());
        CliRunner badPart = CliRunner.run("train", "--weights", checkpoint(), "--freeze", "layer3");
        assertEquals(2, badPart.exitCode(), badPart.err());
        assertTrue(badPart.err().contains("'layer3'") && badPart.err().contains("blockN"), badPart.err());
    }
}
