package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.densenet4j.train.CheckpointFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM and Ctrl-C (SIGINT) during training, sent to a real densenet4j process: it stops after the running
 * step, keeps its checkpoint, says how to resume, exits 143 / 130, and leaves no JVM crash log.
 */
class InterruptionTest {

    @TempDir
    Path tmp;

    private Process train(Path run, boolean resume) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g",
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                "org.densenet4j.cli.Main",
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
            cmd.add("--resume");
        }
        return new ProcessBuilder(cmd)
                .directory(tmp.toFile())
                .redirectErrorStream(true)
                .redirectOutput(
                        tmp.resolve(resume ? "resumed.log" : "first.log").toFile())
                .start();
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
}
