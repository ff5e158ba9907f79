package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.densenet4j.io.NpyFile;
import org.densenet4j.zoo.BundledModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** export, import and infer from the command line, round-tripping the bundled model through a .pth. */
class InteropCommandTest {

    static final String BUNDLED =
            Path.of("..", "models").resolve(BundledModel.NAME).toString();

    @TempDir
    Path tmp;

    @Test
    void exportedPthImportsAndInfersToTheSameLogits() throws Exception {
        Path input = tmp.resolve("x.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            NpyFile.writeFloat32(m.randomNormal(new Shape(3, 1, 28, 28)), input);
        }
        Path pth = tmp.resolve("bundled.pth");
        CliRunner export = CliRunner.run("export", "--weights", BUNDLED, "--out", pth.toString());
        assertEquals(0, export.exitCode(), export.err());
        assertTrue(export.out().contains("torchvision layout"), export.out());

        Path fromCheckpoint = tmp.resolve("a.npy");
        Path fromPth = tmp.resolve("b.npy");
        CliRunner a = CliRunner.run(
                "infer",
                "--model",
                "densenet-bc-40-12",
                "--weights",
                BUNDLED,
                "--input",
                input.toString(),
                "--output",
                fromCheckpoint.toString());
        assertEquals(0, a.exitCode(), a.err());
        CliRunner b = CliRunner.run(
                "infer",
                "--model",
                "densenet-bc-40-12",
                "--weights",
                pth.toString(),
                "--layout",
                "torchvision",
                "--input",
                input.toString(),
                "--output",
                fromPth.toString());
        assertEquals(0, b.exitCode(), b.err());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = NpyFile.read(fromCheckpoint, m);
            NDArray y = NpyFile.read(fromPth, m);
            assertEquals(new Shape(3, 10), x.getShape());
            assertArrayEquals(x.toFloatArray(), y.toFloatArray(), 1e-5f);
        }

        Path imported = tmp.resolve("imported.d4j");
        CliRunner imp =
                CliRunner.run("import", "--model", "densenet-bc-40-12", pth.toString(), "--out", imported.toString());
        assertEquals(0, imp.exitCode(), imp.err());
        CliRunner predict = CliRunner.run(
                "predict",
                "../models/fashion-mnist/samples/test-0.png",
                "--weights",
                pth.toString(),
                "--model",
                "densenet-bc-40-12",
                "--json");
        assertEquals(0, predict.exitCode(), predict.err());
        assertTrue(predict.out().contains("class_"), predict.out());

        Path safetensors = tmp.resolve("bundled.safetensors");
        CliRunner st = CliRunner.run(
                "export",
                "--weights",
                BUNDLED,
                "--format",
                "safetensors",
                "--layout",
                "torchvision",
                "--out",
                safetensors.toString());
        assertEquals(0, st.exitCode(), st.err());
        assertTrue(Files.size(safetensors) > 700_000);
    }

    @Test
    void pthWithoutModelAndWrongLayoutAreClearErrors() throws Exception {
        Path pth = tmp.resolve("bundled.pth");
        assertEquals(
                0,
                CliRunner.run("export", "--weights", BUNDLED, "--out", pth.toString())
                        .exitCode());
        CliRunner noModel =
                CliRunner.run("predict", "../models/fashion-mnist/samples/test-0.png", "--weights", pth.toString());
        assertEquals(2, noModel.exitCode());
        assertTrue(noModel.err().contains("--model"), noModel.err());
        CliRunner wrongLayout = CliRunner.run(
                "import",
                "--model",
                "densenet-bc-40-12",
                "--layout",
                "pytorch-cifar",
                pth.toString(),
                "--out",
                tmp.resolve("x.d4j").toString());
        assertEquals(2, wrongLayout.exitCode());
        assertTrue(
                wrongLayout.err().contains("missing key") && wrongLayout.err().contains("unexpected key"),
                wrongLayout.err());
        assertTrue(!Files.exists(tmp.resolve("x.d4j")), "nothing half-written");
    }

    @Test
    void nanWeightsAreRefusedByDefaultAndNeverPrintedAsNanPercent() throws Exception {
        Path pth = tmp.resolve("bundled.pth");
        assertEquals(
                0,
                CliRunner.run("export", "--weights", BUNDLED, "--out", pth.toString())
                        .exitCode());
        java.util.Map<String, org.densenet4j.torch.TorchTensor> sd =
                org.densenet4j.torch.TorchFileReader.readStateDict(pth);
        String key = "features.denseblock1.denselayer1.conv1.weight";
        float[] data = sd.get(key).data();
        data[3] = Float.NaN;
        Path nan = tmp.resolve("nan.pth");
        org.densenet4j.torch.TorchFileWriter.write(sd, nan);
        String sample = "../models/fashion-mnist/samples/test-0.png";

        CliRunner strict =
                CliRunner.run("predict", sample, "--weights", nan.toString(), "--model", "densenet-bc-40-12");
        assertEquals(1, strict.exitCode(), strict.err());
        assertTrue(
                strict.err().contains(key)
                        && strict.err().contains("NaN")
                        && strict.err().contains("non-strict loading"),
                strict.err());

        CliRunner loose = CliRunner.run(
                "predict", sample, "--weights", nan.toString(), "--model", "densenet-bc-40-12", "--non-strict");
        assertEquals(1, loose.exitCode(), loose.err());
        assertTrue(
                loose.err().contains("loaded anyway") && loose.err().contains("output is NaN or infinite"),
                loose.err());
        assertTrue(!loose.out().contains("NaN%"), loose.out());
    }

    @Test
    void exportedArchivesRunInPredictAndBadExportsLeaveNothing() throws Exception {
        Path pt = tmp.resolve("bundled.pt");
        CliRunner export =
                CliRunner.run("export", "--weights", BUNDLED, "--format", "torchscript", "--out", pt.toString());
        assertEquals(0, export.exitCode(), export.err());
        String sample = "../models/fashion-mnist/samples/test-0.png";
        CliRunner predict = CliRunner.run("predict", sample, "--weights", pt.toString(), "--json");
        assertEquals(0, predict.exitCode(), predict.err());
        assertTrue(predict.out().contains("Ankle boot"), predict.out());
        // A float32 archive is read as data into densenet4j's own network, so it explains too.
        Path explained = tmp.resolve("explained");
        CliRunner explain = CliRunner.run("explain", sample, "--weights", pt.toString(), "--out", explained.toString());
        assertEquals(0, explain.exitCode(), explain.err());
        try (var files = java.nio.file.Files.list(explained)) {
            assertTrue(files.anyMatch(f -> f.toString().endsWith(".png")), "an explanation picture");
        }

        Path onnx = tmp.resolve("bundled.onnx");
        CliRunner ok =
                CliRunner.run("export", "--weights", BUNDLED, "--format", "onnx", "--fold", "--out", onnx.toString());
        assertEquals(0, ok.exitCode(), ok.err());
        assertTrue(ok.out().contains("nodes"), ok.out());

        CliRunner foldPth = CliRunner.run(
                "export",
                "--weights",
                BUNDLED,
                "--fold",
                "--out",
                tmp.resolve("x.pth").toString());
        assertEquals(2, foldPth.exitCode());
        assertTrue(foldPth.err().contains("--fold applies to --format onnx"), foldPth.err());

        Path aFile = java.nio.file.Files.writeString(tmp.resolve("a-file"), "x");
        Path impossible = aFile.resolve("model.onnx");
        CliRunner broken =
                CliRunner.run("export", "--weights", BUNDLED, "--format", "onnx", "--out", impossible.toString());
        assertEquals(2, broken.exitCode(), "refused before any work: " + broken.err());
        assertTrue(broken.err().contains("the folder " + aFile + " does not exist"), broken.err());
        try (var files = java.nio.file.Files.list(tmp)) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".tmp")), "no partial file");
        }
    }

    @Test
    void bf16PredictsWhatFp32Predicts() {
        try {
            org.densenet4j.infer.Precision.BF16.requireSupport();
        } catch (IllegalArgumentException e) {
            org.junit.jupiter.api.Assumptions.abort("this CPU has no native bfloat16");
        }
        String samples = "../models/fashion-mnist/samples";
        CliRunner fp32 = CliRunner.run("predict", samples, "--topk", "1");
        CliRunner bf16 = CliRunner.run("predict", samples, "--topk", "1", "--precision", "bf16");
        assertEquals(0, bf16.exitCode(), bf16.err());
        assertEquals(fp32.out().replaceAll(" [0-9.]+%", ""), bf16.out().replaceAll(" [0-9.]+%", ""));
        Path pt = tmp.resolve("fp32.pt");
        assertEquals(
                0,
                CliRunner.run("export", "--weights", BUNDLED, "--format", "torchscript", "--out", pt.toString())
                        .exitCode());
        // a float32 archive is read as data and compiled in bfloat16 on the fly, as a checkpoint is
        CliRunner archive =
                CliRunner.run("predict", samples, "--weights", pt.toString(), "--topk", "1", "--precision", "bf16");
        assertEquals(0, archive.exitCode(), archive.err());
        assertEquals(fp32.out().replaceAll(" [0-9.]+%", ""), archive.out().replaceAll(" [0-9.]+%", ""));
    }

    @Test
    void exportImportAndInferRefuseToOverwriteOrToCreateFolders() throws Exception {
        Path pth = tmp.resolve("bundled.pth");
        assertEquals(
                0,
                CliRunner.run("export", "--weights", BUNDLED, "--out", pth.toString())
                        .exitCode());
        byte[] exported = Files.readAllBytes(pth);
        Path existing = tmp.resolve("existing");
        byte[] old = {1, 2, 3};
        Files.write(existing, old);
        Path input = tmp.resolve("x.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            NpyFile.writeFloat32(m.zeros(new Shape(1, 1, 28, 28)), input);
        }
        List<String[]> writers = List.of(
                new String[] {"export", "--weights", BUNDLED, "--out"},
                new String[] {"export", "--weights", BUNDLED, "--format", "onnx", "--out"},
                new String[] {"import", "--model", "densenet-bc-40-12", pth.toString(), "--out"},
                new String[] {"infer", "--weights", BUNDLED, "--input", input.toString(), "--output"});
        for (String[] args : writers) {
            String[] refused = java.util.Arrays.copyOf(args, args.length + 1);
            refused[args.length] = existing.toString();
            CliRunner r = CliRunner.run(refused);
            assertEquals(2, r.exitCode(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().contains(existing + " exists already: give --overwrite"), r.err());
            assertArrayEquals(old, Files.readAllBytes(existing), "left byte-identical by " + args[0]);

            refused[args.length] = tmp.resolve("nonexistent").resolve("out").toString();
            CliRunner orphan = CliRunner.run(refused);
            assertEquals(2, orphan.exitCode(), orphan.err());
            assertTrue(orphan.err().contains("does not exist"), orphan.err());
            assertFalse(Files.exists(tmp.resolve("nonexistent")));
        }
        CliRunner replaced = CliRunner.run("export", "--weights", BUNDLED, "--out", existing.toString(), "--overwrite");
        assertEquals(0, replaced.exitCode(), replaced.err());
        assertEquals(exported.length, Files.size(existing), "replaced by the export");
    }
}
