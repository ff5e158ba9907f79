package org.densenet4j.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.zoo.BundledModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint's description is checked against what the file holds before the network it describes is
 * built: a crafted description ends in a clear error, never in an allocation the machine cannot survive.
 */
class HostileCheckpointTest {

    @TempDir
    Path tmp;

    /** The bundled model with its checkpoint.json edited, or with an entry replaced. */
    private Path edited(String name, UnaryOperator<String> json, String entry, byte[] replacement) throws IOException {
        Path out = tmp.resolve(name);
        try (ZipFile in = new ZipFile(BundledModel.path().toFile());
                ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                zip.putNextEntry(new ZipEntry(e.getName()));
                try (InputStream data = in.getInputStream(e)) {
                    byte[] bytes = data.readAllBytes();
                    if (e.getName().equals("checkpoint.json")) {
                        bytes = json.apply(new String(bytes, StandardCharsets.UTF_8))
                                .getBytes(StandardCharsets.UTF_8);
                    } else if (e.getName().equals(entry)) {
                        bytes = replacement;
                    }
                    zip.write(bytes);
                }
                zip.closeEntry();
            }
        }
        return out;
    }

    private static Exception refused(Path file) {
        try (NDManager manager = NDManager.newBaseManager()) {
            return assertThrows(Exception.class, () -> ModelFiles.open(file, manager));
        }
    }

    /** A checkpoint from before mixed precision reads as fp32; an unknown precision is refused, naming it. */
    @Test
    void anUnknownPrecisionIsRefusedAndAMissingOneIsFp32() throws IOException {
        assertTrue(CheckpointFile.readDescription(BundledModel.path()).recipe().precision()
                == org.densenet4j.infer.Precision.FP32);
        Path file =
                edited("precision.d4j", j -> j.replace("\"seed\":", "\"precision\":\"BF17\",\"seed\":"), null, null);
        IOException e = assertThrows(IOException.class, () -> CheckpointFile.readDescription(file));
        assertTrue(
                e.getMessage().contains("recipe.precision is BF17")
                        && e.getMessage().contains(file.toString()),
                e.getMessage());
    }

    @Test
    void aHugeDescribedGrowthRateIsRefusedWithoutBuildingTheNetwork() throws IOException {
        Path file = edited("growth.d4j", j -> j.replace("\"growthRate\": 12", "\"growthRate\": 100000"), null, null);
        Exception e = refused(file);
        assertTrue(e instanceof IOException || e instanceof IllegalArgumentException, e.toString());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("channels") || e.getMessage().contains("memory"), e.getMessage());
    }

    @Test
    void aHugeDescribedLayerCountIsRefusedWithoutBuildingTheNetwork() throws IOException {
        Path file = edited(
                "layers.d4j",
                j -> j.replaceFirst("(?s)\"blockLayers\": \\[.*?\\]", "\"blockLayers\": [100000, 100000, 100000]"),
                null,
                null);
        Exception e = refused(file);
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }

    @Test
    void aDescriptionLargerThanTheStoredTensorsIsRefused() throws IOException {
        Path file = edited("larger.d4j", j -> j.replace("\"growthRate\": 12", "\"growthRate\": 40"), null, null);
        Exception e = refused(file);
        assertTrue(e instanceof IOException, e.toString());
        assertTrue(e.getMessage().contains("does not match the stored tensors"), e.getMessage());
    }

    @Test
    void aTruncatedParameterEntryIsRefused() throws IOException {
        Path file = edited("truncated.d4j", j -> j, "parameters.djl", new byte[1000]);
        Exception e = refused(file);
        assertTrue(e.getMessage().contains("does not match the stored tensors"), e.getMessage());
    }

    @Test
    void anOversizedDescriptionIsRefusedBeforeItIsParsed() throws IOException {
        String padding = " ".repeat(17 << 20);
        Path file = edited("bloated.d4j", j -> j + padding, null, null);
        Exception e = refused(file);
        assertTrue(e.getMessage().contains("checkpoint.json is larger than"), e.getMessage());
    }

    @Test
    void anAbsurdInputSizeIsRefused() throws IOException {
        Path file = edited("input.d4j", j -> j.replace("\"height\": 28", "\"height\": 2000000000"), null, null);
        Exception e = refused(file);
        assertTrue(e.getMessage().contains("input size"), e.getMessage());
    }

    /** A resize that is not a whole number of pixels in range is refused, never truncated or cast. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"0", "-5", "1e12", "256.7", "\"big\""})
    void aBadResizeIsRefusedNamingTheValue(String resize) throws IOException {
        Path file = edited(
                "resize.d4j", j -> j.replace("\"width\": 28", "\"width\": 28, \"resize\": " + resize), null, null);
        Exception e = refused(file);
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("input.resize must be a whole number"), e.getMessage());
    }
}
