package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.densenet4j.base.FileNames;
import org.densenet4j.infer.EvaluationReport;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.CheckpointArchive;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.zoo.BundledModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Class and model names are a checkpoint's text, whoever wrote it: printed, they fake no lines and send no escape
 * sequences to the terminal; in JSON they read back exactly; made into file names, they stay in the folder and
 * within the file system's bounds.
 */
class HostileNamesTest {

    static final String SAMPLE = "../models/fashion-mnist/samples/test-0.png";

    /** Class 9, the one the bundled model finds in test-0.png: 300 characters, a path and a screen-clearing escape. */
    static final String LONG = "A".repeat(300) + "/../..\u001b[2J";

    @TempDir
    Path tmp;

    /** The bundled model's weights under hostile class and model names. */
    private Path hostileCheckpoint() throws Exception {
        Path file = tmp.resolve("hostile.d4j");
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel bundled = ModelFiles.open(BundledModel.path(), manager);
            ModelSpec s = bundled.spec();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                names.add("c" + i + "\nfake.png: Sneaker 100.0%\u001b[31m\u202e");
            }
            names.add(LONG);
            ModelSpec hostile = new ModelSpec(
                    s.modelName() + "\u001b]0;pwned\u0007",
                    s.config(),
                    s.height(),
                    s.width(),
                    names,
                    s.normalization(),
                    s.resizeAndCrop());
            CheckpointArchive.write(file, new TrainedModel(hostile, bundled.network()), "test");
        }
        return file;
    }

    private static void assertNothingATerminalActsOn(String text) {
        assertTrue(
                text.chars().noneMatch(c -> c == 0x1b || c == 0x07 || c == 0x202e),
                "raw control characters in: " + text);
    }

    @Test
    void predictPrintsEscapedNamesAndExactJson() throws Exception {
        String checkpoint = hostileCheckpoint().toString();
        CliRunner text = CliRunner.run("predict", SAMPLE, "--checkpoint", checkpoint, "--topk", "3");
        assertEquals(0, text.exitCode(), text.err());
        assertNothingATerminalActsOn(text.out() + text.err());
        assertEquals(1, text.out().lines().count(), "one line for one image: " + text.out());
        assertTrue(text.out().contains("\\x1b[2J"), text.out());

        CliRunner json = CliRunner.run("predict", SAMPLE, "--checkpoint", checkpoint, "--json");
        assertEquals(0, json.exitCode(), json.err());
        assertNothingATerminalActsOn(json.out());
        JsonObject first = JsonParser.parseString(json.out())
                .getAsJsonObject()
                .getAsJsonArray("predictions")
                .get(0)
                .getAsJsonObject();
        assertEquals(
                LONG,
                first.getAsJsonArray("top")
                        .get(0)
                        .getAsJsonObject()
                        .get("label")
                        .getAsString());
    }

    @Test
    void explainWritesBoundedFileNamesInsideItsFolder() throws Exception {
        String checkpoint = hostileCheckpoint().toString();
        Path out = tmp.resolve("why");
        CliRunner text =
                CliRunner.run("explain", SAMPLE, "--checkpoint", checkpoint, "--class", "9", "--out", out.toString());
        assertEquals(0, text.exitCode(), text.err());
        assertNothingATerminalActsOn(text.out() + text.err());
        assertEquals(1, text.out().lines().count(), text.out());
        List<Path> written;
        try (Stream<Path> files = Files.list(out)) {
            written = files.toList();
        }
        assertEquals(1, written.size(), written.toString());
        String name = written.get(0).getFileName().toString();
        assertTrue(FileNames.utf8Length(name) <= 255, name);
        assertTrue(name.matches("test-0-A+-[0-9a-f]{8}-cam\\.png"), name);
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(2, files.count(), "the checkpoint and the folder; nothing outside it");
        }

        CliRunner json = CliRunner.run(
                "explain",
                SAMPLE,
                "--checkpoint",
                checkpoint,
                "--class",
                "9",
                "--out",
                out.toString(),
                "--overwrite",
                "--json");
        assertEquals(0, json.exitCode(), json.err());
        assertNothingATerminalActsOn(json.out());
        JsonArray all = JsonParser.parseString(json.out()).getAsJsonObject().getAsJsonArray("explanations");
        assertEquals(LONG, all.get(0).getAsJsonObject().get("label").getAsString());
    }

    @Test
    void evaluationTablesEscapeClassNames() {
        List<String> names = List.of("dark\n  fake     100.00%", "light\u001b[31m");
        EvaluationReport report = new EvaluationReport(4, 0.5, 0.75, 1, names, new long[][] {{2, 0}, {1, 1}}, 0);
        StringWriter printed = new StringWriter();
        EvaluationPrinter.print(new PrintWriter(printed), report);
        String out = printed.toString();
        assertNothingATerminalActsOn(out);
        assertEquals(11, out.lines().count(), out);
        assertTrue(out.contains("dark\\n  fake") && out.contains("light\\x1b[31m"), out);
    }

    @Test
    void errorMessagesQuotingAFileStayOneLine() throws Exception {
        Path image = tmp.resolve("a\nfake: Sneaker 100.0%\u001b[2J.png");
        Files.write(image, "not an image".getBytes(StandardCharsets.UTF_8));
        CliRunner skipped = CliRunner.run("predict", image.toString());
        assertEquals(1, skipped.exitCode(), skipped.err());
        assertEquals("1 unreadable file(s) skipped\n", skipped.out());
        assertEquals("densenet4j predict: no readable image among 1 file(s)\n", skipped.err());

        Path checkpoint = tmp.resolve("model\nfake: Sneaker 100.0%\u001b[2J.d4j");
        CliRunner missing = CliRunner.run("predict", SAMPLE, "--checkpoint", checkpoint.toString());
        assertTrue(missing.exitCode() == 1 || missing.exitCode() == 2, missing.err());
        assertNothingATerminalActsOn(missing.out() + missing.err());
        assertEquals(1, missing.err().lines().count(), missing.err());
        assertTrue(missing.err().contains("model\\nfake: Sneaker 100.0%\\x1b[2J.d4j"), missing.err());
    }
}
