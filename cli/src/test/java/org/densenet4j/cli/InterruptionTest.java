package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.CheckpointArchive;
import org.densenet4j.model.DenseNet;
import org.densenet4j.train.CheckpointFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM and Ctrl-C (SIGINT) during training, sent to a real densenet4j process: it stops after the running
 * step, keeps its checkpoint, says how to resume, exits 143 / 130, and leaves no JVM crash log. SIGTERM and kill -9
 * during an export, and a write failing mid-file: no temporary file outlives them.
 */
class InterruptionTest {

    @TempDir
    Path tmp;

    /** The densenet4j command in a child JVM, its output (both streams) going to {@code log}. */
    private Process densenet4j(List<String> args, Path log, String... shellPrefix) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(shellPrefix));
        cmd.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g",
                "-XX:-UsePerfData",
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                "org.densenet4j.cli.Main"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd)
                .directory(tmp.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private Process train(Path run, boolean resume) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "train",
                "--model",
                "densenet-bc-16-4",
                "--train-limit",
                "4096",
                "--test-limit",
                "64",
                "--epochs",
                "40",
                "--run-dir",
                run.toString(),
                "--show",
                "0",
                "--no-download"));
        if (resume) {
            args.add("--resume");
        }
        return densenet4j(args, tmp.resolve(resume ? "resumed.log" : "first.log"));
    }

    private static void awaitCheckpointEpoch(Path run, int epochs, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && p.isAlive()) {
            Path checkpoint = run.resolve("checkpoint.d4j");
            try {
                if (Files.exists(checkpoint)
                        && CheckpointFile.readDescription(checkpoint).epochsCompleted() >= epochs) {
                    Thread.sleep(300); // into the next epoch's steps
                    return;
                }
            } catch (IOException e) {
                // being replaced at this moment: look again
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no checkpoint after epoch " + epochs + " in time");
    }

    @Test
    void sigtermAndSigintStopTrainingCleanlyAndTheRunResumes() throws Exception {
        Path run = tmp.resolve("run");
        Process first = train(run, false);
        awaitCheckpointEpoch(run, 1, first);
        first.destroy(); // SIGTERM
        assertTrue(first.waitFor(120, TimeUnit.SECONDS), "stopped in time");
        String log = Files.readString(tmp.resolve("first.log"), StandardCharsets.UTF_8);
        assertEquals(143, first.exitValue(), log);
        assertTrue(log.contains("training stopped on request") && log.contains("--resume"), log);
        int kept = CheckpointFile.readDescription(run.resolve("checkpoint.d4j")).epochsCompleted();
        assertTrue(kept >= 1, "checkpoint kept");

        Process resumed = train(run, true);
        awaitCheckpointEpoch(run, kept + 1, resumed);
        new ProcessBuilder("kill", "-INT", Long.toString(resumed.pid())).start().waitFor();
        assertTrue(resumed.waitFor(120, TimeUnit.SECONDS), "stopped in time");
        String resumedLog = Files.readString(tmp.resolve("resumed.log"), StandardCharsets.UTF_8);
        assertEquals(130, resumed.exitValue(), resumedLog);
        assertTrue(resumedLog.contains("resuming") || resumedLog.contains("epoch " + (kept + 1)), resumedLog);
        assertTrue(CheckpointFile.readDescription(run.resolve("checkpoint.d4j")).epochsCompleted() > kept);

        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("hs_err")), "no JVM crash log");
        }
        try (Stream<Path> files = Files.list(run)) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".tmp")), "no half-written file");
        }
    }

    /** A densenet161 checkpoint (115 MB) with random weights: its export takes long enough to be caught. */
    private Path largeCheckpoint() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Path file = dir.resolve("densenet161.d4j");
        try (NDManager manager = NDManager.newBaseManager()) {
            DenseNet network = DenseNet.preset("densenet161");
            network.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 224, 224));
            List<String> classes = new ArrayList<>();
            for (int i = 0; i < network.config().classes(); i++) {
                classes.add("class " + i);
            }
            ModelSpec spec = new ModelSpec(
                    "densenet161",
                    network.config(),
                    224,
                    224,
                    classes,
                    new Normalization(new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}));
            CheckpointArchive.write(file, new TrainedModel(spec, network), "test");
        }
        return file;
    }

    private static List<Path> temporaries(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".tmp"))
                    .toList();
        }
    }

    /**
     * Starts {@code export} of {@code checkpoint} into {@code out}'s folder and returns it once its temporary file
     * exists; null if the export finished before one was seen.
     */
    private Process exportCaughtMidWrite(Path checkpoint, Path out, Path log) throws Exception {
        Process p = densenet4j(
                List.of("export", "--weights", checkpoint.toString(), "--out", out.toString(), "--overwrite"), log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (!temporaries(out.getParent()).isEmpty()) {
                return p;
            }
            Thread.sleep(1);
        }
        p.waitFor(60, TimeUnit.SECONDS);
        return null;
    }

    @Test
    void sigtermMidExportRemovesItsTemporaryAndAKilledOnesIsRemovedByTheNextExport() throws Exception {
        Path checkpoint = largeCheckpoint();
        Path outDir = Files.createDirectories(tmp.resolve("out"));
        Path out = outDir.resolve("model.pth");
        Process stopped = null;
        for (int attempt = 0; attempt < 3 && stopped == null; attempt++) {
            stopped = exportCaughtMidWrite(checkpoint, out, tmp.resolve("sigterm.log"));
        }
        assertTrue(stopped != null, "an export caught while writing");
        stopped.destroy(); // SIGTERM
        assertTrue(stopped.waitFor(120, TimeUnit.SECONDS), "stopped in time");
        String log = Files.readString(tmp.resolve("sigterm.log"), StandardCharsets.UTF_8);
        assertEquals(List.of(), temporaries(outDir), "SIGTERM removes the temporary file: " + log);
        if (Files.exists(out)) { // the rename won the race: then the file is whole
            try (ZipFile whole = new ZipFile(out.toFile())) {
                assertTrue(whole.size() > 0);
            }
        }

        Files.deleteIfExists(out);
        Process killed = null;
        for (int attempt = 0; attempt < 3 && killed == null; attempt++) {
            killed = exportCaughtMidWrite(checkpoint, out, tmp.resolve("kill9.log"));
        }
        assertTrue(killed != null, "an export caught while writing");
        killed.destroyForcibly(); // SIGKILL: nothing runs
        assertTrue(killed.waitFor(60, TimeUnit.SECONDS));
        List<Path> left = temporaries(outDir);
        assertEquals(1, left.size(), "kill -9 leaves the temporary file: " + left);
        assertTrue(left.get(0).getFileName().toString().startsWith(".model.pth.densenet4j-" + killed.pid() + "-"));

        Process next = densenet4j(
                List.of("export", "--weights", checkpoint.toString(), "--out", out.toString(), "--overwrite"),
                tmp.resolve("next.log"));
        assertTrue(next.waitFor(180, TimeUnit.SECONDS));
        assertEquals(0, next.exitValue(), Files.readString(tmp.resolve("next.log")));
        assertEquals(List.of(), temporaries(outDir), "the next write removes the killed one's leftover");
        assertTrue(Files.size(out) > 100_000_000);
    }

    @Test
    void aWriteThatFailsMidFileIsOneLineNamingTheFileAndLeavesNothing() throws Exception {
        // A file size limit makes writes fail past 64 KiB, as a full disk does (EFBIG instead of ENOSPC).
        Path out = tmp.resolve("bundled.pth");
        Process p = densenet4j(
                List.of(
                        "export",
                        "--weights",
                        Path.of(InteropCommandTest.BUNDLED).toAbsolutePath().toString(),
                        "--out",
                        out.toString()),
                tmp.resolve("limit.log"),
                "bash",
                "-c",
                "ulimit -f 64 && exec \"$@\"",
                "bash");
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        List<String> log = Files.readAllLines(tmp.resolve("limit.log")).stream()
                .filter(l -> l.startsWith("densenet4j"))
                .toList();
        assertEquals(1, p.exitValue(), String.join("\n", log));
        assertEquals(List.of("densenet4j export: error: cannot write " + out + ": File too large"), log);
        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().contains("bundled.pth")), "nothing left");
        }
    }
}
