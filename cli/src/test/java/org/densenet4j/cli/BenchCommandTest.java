package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/** bench's interface: the JSON fields scripts read, each execution path, and bad values. */
class BenchCommandTest {

    private static JsonObject bench(String... extra) {
        String[] base = {
            "bench",
            "--model",
            "densenet-bc-16-4",
            "--input",
            "3x16x16",
            "--batch",
            "4",
            "--warmup",
            "0",
            "--iterations",
            "1",
            "--json"
        };
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        CliRunner r = CliRunner.run(args);
        assertEquals(0, r.exitCode(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertTrue(json.get("images_per_second").getAsDouble() > 0, r.out());
        assertTrue(json.get("peak_rss_bytes").getAsLong() > 0, r.out());
        return json;
    }

    @Test
    void everyPathReportsThroughputAndMemory() {
        assertEquals("infer", bench("--mode", "infer").get("mode").getAsString());
        JsonObject plain = bench("--mode", "infer", "--plain-inference", "--memory-format", "channels_first");
        assertTrue(plain.get("plain_inference").getAsBoolean());
        assertEquals("channels_first", plain.get("memory_format").getAsString());
        JsonObject efficient = bench("--mode", "train", "--memory-efficient");
        assertEquals("train", efficient.get("mode").getAsString());
        assertTrue(efficient.get("memory_efficient").getAsBoolean());
    }

    /** --profile writes libtorch's trace of one more iteration: the training step's operators, each timed. */
    @Test
    void profileWritesTheTraceOfATrainingStep(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path trace = tmp.resolve("step.json");
        bench("--mode", "train", "--profile", trace.toString());
        String text = java.nio.file.Files.readString(trace);
        assertTrue(JsonParser.parseString(text).getAsJsonArray().size() > 0, "no events");
        assertTrue(text.contains("convolution_backward") && text.contains("native_batch_norm"), "operators missing");
        try (var files = java.nio.file.Files.list(tmp)) {
            assertEquals(1, files.count(), "only the trace is left");
        }
        CliRunner missing = CliRunner.run(
                "bench",
                "--model",
                "densenet-bc-16-4",
                "--profile",
                tmp.resolve("no/such/folder/t.json").toString());
        assertEquals(2, missing.exitCode(), missing.err());
        assertTrue(missing.err().contains("--profile"), missing.err());
    }

    @Test
    void badValuesAreUsageErrors() {
        CliRunner batch = CliRunner.run("bench", "--model", "densenet-bc-16-4", "--batch", "0");
        assertEquals(2, batch.exitCode());
        assertTrue(batch.err().contains("--batch"), batch.err());
        CliRunner format = CliRunner.run("bench", "--model", "densenet-bc-16-4", "--memory-format", "nhwc");
        assertEquals(2, format.exitCode());
        assertTrue(format.err().contains("nhwc"), format.err());
    }

    @Test
    void aWorkloadTooLargeForTheMachineIsRefusedWithTheEstimate() {
        long start = System.nanoTime();
        CliRunner r = CliRunner.run("bench", "--model", "densenet-bc-100-12", "--batch", "2000000", "--mode", "train");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(
                r.err().contains("needs about")
                        && r.err().contains("available")
                        && r.err().contains("--batch")
                        && r.err().contains("--memory-efficient"),
                r.err());
        assertTrue((System.nanoTime() - start) / 1e9 < 30, "refused before running");
        CliRunner huge =
                CliRunner.run("bench", "--model", "densenet-bc-100-12", "--batch", "1000000", "--mode", "infer");
        assertEquals(2, huge.exitCode(), huge.err());
        assertTrue(huge.err().contains("needs about"), huge.err());
    }
}
