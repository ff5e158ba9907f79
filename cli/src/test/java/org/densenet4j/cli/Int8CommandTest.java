package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.CheckpointArchive;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.zoo.BundledModel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --precision int8}: predict agrees with fp32; a model is calibrated once (the calibration stored beside it is
 * used by later runs, and refused once the weights change); misuse is a usage error.
 */
class Int8CommandTest {

    private static final String SAMPLES = "../models/fashion-mnist/samples";

    @TempDir
    Path dir;

    private static void assumeInt8() {
        Assumptions.assumeTrue(Precision.INT8.isSupported(), "this CPU has neither avx512_vnni nor amx_int8");
    }

    @Test
    void int8PredictsWhatFp32PredictsWithTheBundledCalibrationOrOneMeasuredOnTheTrainingSet() throws Exception {
        assumeInt8();
        CliRunner fp32 = CliRunner.run("predict", SAMPLES, "--topk", "1");
        CliRunner bundled = CliRunner.run("predict", SAMPLES, "--topk", "1", "--precision", "int8");
        assertEquals(0, bundled.exitCode(), bundled.err());
        assertTrue(bundled.err().contains("int8 calibration from "), bundled.err());
        assertTrue(bundled.err().contains("(256 image(s) of fashion-mnist, min-max ranges)"), bundled.err());
        assertEquals(labels(fp32), labels(bundled));

        // A copy records the training set it came from, and has no calibration beside it: measured there, stored.
        Path copy = dir.resolve("copy.d4j");
        Files.copy(BundledModel.path(), copy);
        CliRunner trainingSet = CliRunner.run(
                "predict", SAMPLES, "--topk", "1", "--precision", "int8", "--checkpoint", copy.toString());
        assertEquals(0, trainingSet.exitCode(), trainingSet.err());
        assertTrue(trainingSet.err().contains("int8 calibrated on 256 image(s) of fashion-mnist"), trainingSet.err());
        assertTrue(trainingSet.err().contains("int8 calibration stored in " + copy + ".int8.json"), trainingSet.err());
        assertEquals(labels(fp32), labels(trainingSet));
        assertEquals(
                Files.readString(bundledCalibration()).replaceAll("\"model_sha256\"[^\n]*\n", ""),
                Files.readString(Path.of(copy + ".int8.json")).replaceAll("\"model_sha256\"[^\n]*\n", ""),
                "the same 256 images give the ranges the bundled model ships with");
    }

    @Test
    void theBundledModelNamedByItsPathKeepsTheCalibrationItShipsWith() throws Exception {
        assumeInt8();
        // An installation as the launcher sees it (densenet4j.home), its model named by a path of its own
        Path models = Files.createDirectories(dir.resolve("home/models/fashion-mnist"));
        Path model = Files.copy(BundledModel.path(), models.resolve("densenet-bc-40-12.d4j"));
        Path shipped = Files.copy(bundledCalibration(), models.resolve("densenet-bc-40-12.d4j.int8.json"));
        byte[] before = Files.readAllBytes(shipped);
        String home = System.getProperty("densenet4j.home");
        System.setProperty("densenet4j.home", dir.resolve("home").toString());
        try {
            CliRunner run = CliRunner.run(
                    "predict",
                    SAMPLES,
                    "--precision",
                    "int8",
                    "--checkpoint",
                    dir.resolve("home/models/../models/fashion-mnist/densenet-bc-40-12.d4j")
                            .toString(),
                    "--calibrate",
                    SAMPLES,
                    "--calibrate-images",
                    "4");
            assertEquals(0, run.exitCode(), run.err());
            assertTrue(run.err().contains("int8 calibrated on 4 image(s)"), run.err());
            assertTrue(
                    run.err().contains("not stored: the bundled model keeps the calibration it ships with"), run.err());
            assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(shipped)), "the shipped calibration changed");
            assertTrue(Files.exists(model));
        } finally {
            if (home == null) {
                System.clearProperty("densenet4j.home");
            } else {
                System.setProperty("densenet4j.home", home);
            }
        }
    }

    @Test
    void aModelIsCalibratedOnceAndAStaleCalibrationIsRefused() throws Exception {
        assumeInt8();
        Path file = dir.resolve("imported.d4j");
        try (NDManager m = NDManager.newBaseManager()) {
            // "imported from": a model that does not say which images it was trained on
            CheckpointArchive.write(file, ModelFiles.open(BundledModel.path(), m), "imported from a test");
        }
        String[] int8 = {"predict", SAMPLES, "--topk", "1", "--precision", "int8", "--checkpoint", file.toString()};
        CliRunner none = CliRunner.run(int8);
        assertEquals(2, none.exitCode(), none.err());
        assertTrue(none.err().contains("has no int8 calibration (" + file + ".int8.json)"), none.err());
        assertTrue(
                none.err()
                        .contains("calibrate it once on images of its kind (--precision int8 --calibrate DIR|DATASET)"),
                none.err());

        CliRunner calibrated = CliRunner.run(concat(int8, "--calibrate", SAMPLES, "--calibrate-images", "4"));
        assertEquals(0, calibrated.exitCode(), calibrated.err());
        assertTrue(calibrated.err().contains("int8 calibrated on 4 image(s) of " + SAMPLES), calibrated.err());
        assertTrue(calibrated.err().contains("stored in " + file + ".int8.json"), calibrated.err());

        CliRunner again = CliRunner.run(int8);
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(
                again.err().contains("int8 calibration from " + file + ".int8.json (4 image(s) of " + SAMPLES),
                again.err());
        assertFalse(again.err().contains("calibrated on"), again.err());
        assertEquals(calibrated.out(), again.out(), "the stored calibration gives the same module");

        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = ModelFiles.open(file, m);
            NDArray weight = model.network().tensors().get(0);
            float[] changed = weight.toFloatArray();
            changed[0] += 0.01f;
            weight.set(changed);
            CheckpointArchive.write(file, model, "imported from a test"); // new weights under the same name
        }
        CliRunner stale = CliRunner.run(int8);
        assertEquals(2, stale.exitCode(), stale.err());
        assertTrue(stale.err().contains("was measured on other weights than " + file), stale.err());
        assertTrue(
                stale.err().contains("calibrate again on images of its kind (--precision int8 --calibrate"),
                stale.err());
    }

    @Test
    void inferTakesTheCalibrationOptionsItsErrorsName() throws Exception {
        assumeInt8();
        Path file = dir.resolve("imported.d4j");
        Path x = dir.resolve("x.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointArchive.write(file, ModelFiles.open(BundledModel.path(), m), "imported from a test");
            org.densenet4j.io.NpyFile.writeFloat32(m.randomNormal(new ai.djl.ndarray.types.Shape(2, 1, 28, 28)), x);
        }
        String[] infer = {"infer", "--weights", file.toString(), "--precision", "int8", "--input", x.toString()};
        CliRunner none =
                CliRunner.run(concat(infer, "--output", dir.resolve("none.npy").toString()));
        assertEquals(2, none.exitCode(), none.err());
        assertTrue(none.err().contains("(--precision int8 --calibrate DIR|DATASET)"), none.err());

        Path y = dir.resolve("y.npy");
        CliRunner calibrated = CliRunner.run(
                concat(infer, "--output", y.toString(), "--calibrate", SAMPLES, "--calibrate-images", "4"));
        assertEquals(0, calibrated.exitCode(), calibrated.err());
        assertTrue(calibrated.err().contains("stored in " + file + ".int8.json"), calibrated.err());
        assertTrue(Files.exists(y));
    }

    @Test
    void anExportedInt8ArchivePredictsAsTheModelDoesAndExplainByCamAgreesWithPredict() throws Exception {
        assumeInt8();
        CliRunner int8 = CliRunner.run("predict", SAMPLES, "--topk", "1", "--precision", "int8", "--json");
        assertEquals(0, int8.exitCode(), int8.err());

        Path archive = dir.resolve("int8.pt");
        CliRunner export =
                CliRunner.run("export", "--format", "torchscript", "--precision", "int8", "--out", archive.toString());
        assertEquals(0, export.exitCode(), export.err());
        assertTrue(
                export.out().contains("as an int8 TorchScript archive (256 image(s) of fashion-mnist"), export.out());
        CliRunner archived = CliRunner.run(
                "predict", SAMPLES, "--topk", "1", "--precision", "int8", "--json", "--checkpoint", archive.toString());
        assertEquals(0, archived.exitCode(), archived.err());
        assertEquals(
                predictions(int8),
                predictions(archived),
                "the archive holds the module the bundled model runs as: the same answers");
        CliRunner fp32 = CliRunner.run("predict", SAMPLES, "--checkpoint", archive.toString());
        assertEquals(2, fp32.exitCode());
        assertTrue(
                fp32.err().contains("is an int8 TorchScript archive, not fp32: run it in int8 (--precision)"),
                fp32.err());
        CliRunner recalibrate = CliRunner.run(
                "predict", SAMPLES, "--precision", "int8", "--calibrate", SAMPLES, "--checkpoint", archive.toString());
        assertEquals(2, recalibrate.exitCode());
        assertTrue(recalibrate.err().contains("holds the calibration it was exported with"), recalibrate.err());

        Path pictures = dir.resolve("cam");
        CliRunner explain =
                CliRunner.run("explain", SAMPLES, "--precision", "int8", "--out", pictures.toString(), "--json");
        assertEquals(0, explain.exitCode(), explain.err());
        com.google.gson.JsonArray explanations = com.google.gson.JsonParser.parseString(explain.out())
                .getAsJsonObject()
                .getAsJsonArray("explanations");
        com.google.gson.JsonArray predictions = predictions(int8);
        assertEquals(4, explanations.size());
        for (int i = 0; i < 4; i++) {
            com.google.gson.JsonObject top = predictions
                    .get(i)
                    .getAsJsonObject()
                    .getAsJsonArray("top")
                    .get(0)
                    .getAsJsonObject();
            com.google.gson.JsonObject e = explanations.get(i).getAsJsonObject();
            assertEquals(top.get("label").getAsString(), e.get("label").getAsString(), "image " + i);
            assertEquals(
                    top.get("probability").getAsDouble(), e.get("probability").getAsDouble(), 1e-5);
            assertTrue(Files.size(Path.of(e.get("png").getAsString())) > 0);
        }
    }

    /**
     * int8 ONNX carries the bundled model's stored calibration in QDQ form (ONNX Runtime's parity and accuracy on it
     * are core's {@code OnnxInt8ExportTest}); it is written on any CPU, the file running elsewhere.
     */
    @Test
    void int8OnnxHoldsTheStoredCalibration() throws Exception {
        Path onnx = dir.resolve("int8.onnx");
        CliRunner export = CliRunner.run("export", "--format", "onnx", "--precision", "int8", "--out", onnx.toString());
        assertEquals(0, export.exitCode(), export.err());
        assertTrue(export.out().contains("as int8 ONNX opset 17 in QDQ form, "), export.out());
        assertTrue(export.out().contains("(256 image(s) of fashion-mnist"), export.out());
        org.densenet4j.onnx.Onnx.ModelProto model =
                org.densenet4j.onnx.Onnx.ModelProto.parseFrom(Files.readAllBytes(onnx));
        java.util.Map<String, String> meta = new java.util.HashMap<>();
        model.getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
        assertEquals("int8", meta.get("precision"));
        assertTrue(meta.get("quantization").contains("\"images\": 256"), meta.get("quantization"));
        java.util.Map<String, Long> ops = new java.util.TreeMap<>();
        model.getGraph().getNodeList().forEach(n -> ops.merge(n.getOpType(), 1L, Long::sum));
        // every map the int8 module quantizes is quantized here: input, 3 blocks' outputs, BN-ReLUs, bottlenecks...
        assertTrue(ops.get("QuantizeLinear") > ops.get("Conv"), ops.toString());
        assertEquals(2 * ops.get("Conv") + ops.get("QuantizeLinear"), ops.get("DequantizeLinear"), ops.toString());
        CliRunner again = CliRunner.run("export", "--format", "onnx", "--precision", "int8", "--out", onnx.toString());
        assertEquals(2, again.exitCode(), "never overwritten without --overwrite: " + again.err());
    }

    @Test
    void benchCalibratesOnTheImagesItIsGiven() throws Exception {
        assumeInt8();
        Path images = dir.resolve("calibration.npy");
        Path wrong = dir.resolve("wrong.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            org.densenet4j.io.NpyFile.writeFloat32(
                    m.randomNormal(new ai.djl.ndarray.types.Shape(4, 1, 28, 28)), images);
            org.densenet4j.io.NpyFile.writeFloat32(m.randomNormal(new ai.djl.ndarray.types.Shape(4, 3, 28, 28)), wrong);
        }
        String[] bench = {
            "bench",
            "--model",
            "densenet-bc-40-12",
            "--input",
            "1x28x28",
            "--batch",
            "2",
            "--precision",
            "int8",
            "--iterations",
            "1",
            "--warmup",
            "0",
            "--calibrate"
        };
        CliRunner given = CliRunner.run(concat(bench, images.toString()));
        assertEquals(0, given.exitCode(), given.err());
        CliRunner shape = CliRunner.run(concat(bench, wrong.toString()));
        assertEquals(2, shape.exitCode(), shape.err());
        assertTrue(shape.err().contains(wrong + ": calibration images must be shaped (N, 1, 28, 28)"), shape.err());
        CliRunner fp32 = CliRunner.run("bench", "--model", "densenet-bc-40-12", "--calibrate", images.toString());
        assertEquals(2, fp32.exitCode(), fp32.err());
        assertTrue(fp32.err().contains("--calibrate is for --precision int8"), fp32.err());
    }

    @Test
    void unreadableCalibrationImagesAreSkippedAndNaNWeightsAreAFailure() throws Exception {
        assumeInt8();
        Path folder = Files.createDirectories(dir.resolve("calibration"));
        for (int i = 0; i < 3; i++) {
            Files.copy(Path.of(SAMPLES, "test-" + i + ".png"), folder.resolve(i + ".png"));
        }
        Files.write(folder.resolve("3.png"), new byte[] {1, 2, 3});
        Path file = dir.resolve("model.d4j");
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointArchive.write(file, ModelFiles.open(BundledModel.path(), m), "imported from a test");
        }
        String[] int8 = {"predict", SAMPLES, "--precision", "int8", "--checkpoint", file.toString(), "--calibrate"};
        CliRunner skipped = CliRunner.run(concat(int8, folder.toString(), "--calibrate-images", "4"));
        assertEquals(0, skipped.exitCode(), skipped.err());
        assertTrue(skipped.err().contains("int8 calibrated on 3 image(s) of " + folder), skipped.err());

        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = ModelFiles.open(file, m);
            NDArray weight = model.network().tensors().get(0);
            float[] nan = weight.toFloatArray();
            nan[0] = Float.NaN;
            weight.set(nan);
            CheckpointArchive.write(file, model, "imported from a test");
        }
        CliRunner broken = CliRunner.run(concat(int8, SAMPLES));
        assertEquals(1, broken.exitCode(), broken.err());
        assertTrue(broken.err().contains("non-finite value"), broken.err());
        assertTrue(broken.err().contains("its weights hold NaN or infinite values"), broken.err());
    }

    @Test
    void misuseIsAUsageError() {
        CliRunner fp32Calibrated = CliRunner.run("predict", SAMPLES, "--calibrate", SAMPLES);
        assertEquals(2, fp32Calibrated.exitCode());
        assertTrue(fp32Calibrated.err().contains("--calibrate is for --precision int8"), fp32Calibrated.err());
        CliRunner fp32Count = CliRunner.run("predict", SAMPLES, "--calibrate-images", "3");
        assertEquals(2, fp32Count.exitCode());
        assertTrue(fp32Count.err().contains("--calibrate-images is for --precision int8"), fp32Count.err());
        CliRunner none = CliRunner.run("predict", SAMPLES, "--precision", "int8", "--calibrate-images", "0");
        assertEquals(2, none.exitCode());
        assertTrue(none.err().contains("--calibrate-images must be between 1 and 10000"), none.err());
        CliRunner train = CliRunner.run(
                "bench",
                "--model",
                "densenet-bc-40-12",
                "--mode",
                "train",
                "--precision",
                "int8",
                "--iterations",
                "1",
                "--warmup",
                "0");
        assertEquals(2, train.exitCode());
        assertTrue(train.err().contains("int8 is for inference"), train.err());
        CliRunner pth = CliRunner.run("export", "--format", "pth", "--precision", "int8", "--out", "unused.pth");
        assertEquals(2, pth.exitCode());
        assertTrue(pth.err().contains("--precision int8 exports --format torchscript or onnx only"), pth.err());
        CliRunner onnxBf16 = CliRunner.run("export", "--format", "onnx", "--precision", "bf16", "--out", "unused.onnx");
        assertEquals(2, onnxBf16.exitCode());
        assertTrue(onnxBf16.err().contains("--precision bf16 applies to --format torchscript only"), onnxBf16.err());
        CliRunner gradCam =
                CliRunner.run("explain", SAMPLES, "--precision", "int8", "--method", "gradcam", "--out", "unused");
        assertEquals(2, gradCam.exitCode());
        assertTrue(gradCam.err().contains("--method gradcam needs the float32 network's gradients"), gradCam.err());
        if (Precision.INT8.isSupported()) {
            CliRunner layer =
                    CliRunner.run("explain", SAMPLES, "--precision", "int8", "--layer", "block1", "--out", "unused");
            assertEquals(2, layer.exitCode());
            assertTrue(layer.err().contains("explains the final feature maps (block3) only"), layer.err());
            assertFalse(layer.err().contains("use --method gradcam"), "refused in int8: " + layer.err());
        }
        CliRunner bf16 = CliRunner.run("explain", SAMPLES, "--precision", "bf16", "--out", "unused");
        assertEquals(2, bf16.exitCode());
        assertTrue(bf16.err().contains("explain runs in fp32 or int8"), bf16.err());
        CliRunner serve = CliRunner.run("serve", "--precision", "int8", "--calibrate-images", "0", "--port", "0");
        assertEquals(2, serve.exitCode());
        assertTrue(serve.err().contains("--calibrate-images must be between 1 and 10000"), serve.err());
        CliRunner serveFp32 = CliRunner.run("serve", "--calibrate", SAMPLES, "--port", "0");
        assertEquals(2, serveFp32.exitCode());
        assertTrue(serveFp32.err().contains("--calibrate is for --precision int8"), serveFp32.err());
    }

    /** The predicted labels, without the probabilities (int8's differ from float32's in the last digit). */
    private static String labels(CliRunner run) {
        return run.out().replaceAll(" [0-9.]+%", "");
    }

    /** predict --json's predictions: per image its file and top labels with their probabilities. */
    private static com.google.gson.JsonArray predictions(CliRunner run) {
        return com.google.gson.JsonParser.parseString(run.out())
                .getAsJsonObject()
                .getAsJsonArray("predictions");
    }

    private static Path bundledCalibration() {
        return Path.of(BundledModel.path() + ".int8.json");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
