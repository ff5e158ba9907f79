package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.densenet4j.infer.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Careless values get one clear line naming the value and what was expected, and a non-zero exit. */
class MessagesTest {

    @TempDir
    Path tmp;

    private static void refused(int exit, String mustMention, String... args) {
        CliRunner r = CliRunner.run(args);
        assertEquals(exit, r.exitCode(), r.err() + r.out());
        assertTrue(r.err().contains(mustMention), r.err());
        assertTrue(!r.err().contains("Exception") && !r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void serveOptionsMustBeRealLimits() {
        refused(2, "--port must be 0..65535", "serve", "--port", "99999");
        refused(2, "--max-upload-bytes", "serve", "--max-upload-bytes", "-1");
        refused(2, "--max-delay-ms", "serve", "--max-delay-ms", "-5");
        refused(2, "--max-pixels", "serve", "--max-pixels", "0");
        refused(2, "--host 999.1.1.1 is not an address", "serve", "--host", "999.1.1.1");
    }

    @Test
    void negativeImageLimitsAreNamed() {
        refused(2, "--train-limit must be at least 1 image, got -5", "train", "--train-limit", "-5", "--no-download");
    }

    @Test
    void anEmptyNpyBatchIsRefusedBeforeItReachesLibtorch() throws Exception {
        Path empty = tmp.resolve("empty.npy");
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 28, 28), }";
        header = header + " ".repeat(63 - (10 + header.length()) % 64) + "\n";
        byte[] bytes = new byte[10 + header.length()];
        bytes[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(), 0, bytes, 1, 5);
        bytes[6] = 1;
        bytes[8] = (byte) header.length();
        System.arraycopy(header.getBytes(), 0, bytes, 10, header.length());
        Files.write(empty, bytes);
        refused(
                1,
                "holds no values",
                "infer",
                "--model",
                "densenet-bc-40-12",
                "--input",
                empty.toString(),
                "--output",
                tmp.resolve("y.npy").toString());
    }

    @Test
    void aNamedPipeIsRefusedInsteadOfWaitedOn() throws Exception {
        Path fifo = tmp.resolve("pipe.png");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        long start = System.nanoTime();
        CliRunner r = CliRunner.run("predict", fifo.toString());
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("not a regular file"), r.err());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(60));
    }

    @Test
    void aNamedPipeGivenAsTheModelIsRefusedInsteadOfWaitedOn() throws Exception {
        String image = "../models/fashion-mnist/samples/test-0.png";
        List<List<String>> runs = new ArrayList<>();
        for (String name : List.of("pipe.d4j", "pipe.pth", "pipe.pt")) {
            Path fifo = tmp.resolve(name);
            assertEquals(
                    0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
            runs.add(List.of("predict", "--checkpoint", fifo.toString(), "--model", "densenet121", image));
        }
        if (Precision.INT8.isSupported()) {
            runs.add(List.of(
                    "predict", "--checkpoint", tmp.resolve("pipe.d4j").toString(), "--precision", "int8", image));
        }
        for (List<String> args : runs) {
            // a pipe's open waits for a writer that never comes: the run must not get that far
            CliRunner r = assertTimeoutPreemptively(
                    Duration.ofSeconds(60), () -> CliRunner.run(args.toArray(String[]::new)), args.toString());
            assertTrue(r.exitCode() == 1 || r.exitCode() == 2, r.exitCode() + ": " + r.err());
            assertTrue(r.err().contains(args.get(2) + ": not a regular file"), r.err());
        }
    }
}
