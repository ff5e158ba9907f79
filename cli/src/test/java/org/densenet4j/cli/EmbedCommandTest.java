package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.densenet4j.infer.FeatureExtractor;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.io.NpyFile;
import org.densenet4j.zoo.BundledModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** embed writes what FeatureExtractor computes, as .npy with the image list beside it, or as CSV. */
class EmbedCommandTest {

    static final String SAMPLES = "../models/fashion-mnist/samples";

    @TempDir
    Path tmp;

    @Test
    void npyAndCsvHoldEachImagesFeatures() throws Exception {
        Files.write(tmp.resolve("broken.png"), new byte[] {1, 2, 3});
        Files.copy(Path.of(SAMPLES, "test-1.png"), tmp.resolve("shirt.png"));
        Path npy = tmp.resolve("features.npy");
        CliRunner r = CliRunner.run("embed", SAMPLES + "/test-0.png", tmp.toString(), "--out", npy.toString());
        assertEquals(0, r.exitCode(), r.err());
        List<String> files = Files.readAllLines(tmp.resolve("features.txt"));
        assertEquals(2, files.size(), "the unreadable file is skipped: " + files);
        assertTrue(r.err().contains("broken.png"), r.err());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray stored = NpyFile.read(npy, m);
            FeatureExtractor extractor = new FeatureExtractor(ModelFiles.open(BundledModel.path(), m), m);
            assertEquals(new Shape(2, extractor.dimension()), stored.getShape());
            float[] expected = extractor.features(
                    ImageIO.read(Path.of(SAMPLES, "test-0.png").toFile()));
            assertArrayEquals(expected, stored.get(0).toFloatArray(), 1e-6f);
        }
        Path csv = tmp.resolve("features.csv");
        assertEquals(0, CliRunner.run("embed", SAMPLES, "--out", csv.toString()).exitCode());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(5, lines.size(), "header and 4 images");
        assertTrue(lines.get(0).startsWith("file,f0,f1"), lines.get(0));
        CliRunner parquet = CliRunner.run(
                "embed", SAMPLES, "--out", tmp.resolve("x.parquet").toString());
        assertEquals(2, parquet.exitCode());
    }

    private static void refusedInOneLine(CliRunner r, String mustMention) {
        assertEquals(2, r.exitCode(), r.err() + r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(mustMention), r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
    }

    @Test
    void anExistingOutputIsRefusedUnlessOverwriteAndStaysByteIdentical() throws Exception {
        Path npy = tmp.resolve("features.npy");
        Path txt = tmp.resolve("features.txt");
        byte[] old = {1, 2, 3};
        Files.write(txt, old);
        refusedInOneLine(
                CliRunner.run("embed", SAMPLES, "--out", npy.toString()), txt + " exists already: give --overwrite");
        assertArrayEquals(old, Files.readAllBytes(txt));
        assertFalse(Files.exists(npy), "neither file written");

        Path csv = tmp.resolve("features.csv");
        Files.write(csv, old);
        refusedInOneLine(CliRunner.run("embed", SAMPLES, "--out", csv.toString()), "--overwrite");
        assertArrayEquals(old, Files.readAllBytes(csv));

        CliRunner replaced = CliRunner.run("embed", SAMPLES, "--out", npy.toString(), "--overwrite");
        assertEquals(0, replaced.exitCode(), replaced.err());
        assertEquals(4, Files.readAllLines(txt).size());
    }

    @Test
    void aMissingFolderIsRefusedInOneLineAndNotCreated() {
        Path out = tmp.resolve("nonexistent").resolve("features.npy");
        refusedInOneLine(
                CliRunner.run("embed", SAMPLES, "--out", out.toString()),
                "the folder " + out.getParent() + " does not exist");
        assertFalse(Files.exists(out.getParent()));
    }

    @Test
    void npyAndItsImageListAppearTogetherOrNotAtAll() throws Exception {
        Path npy = tmp.resolve("x.npy");
        Path txt = tmp.resolve("x.txt");
        // The .npy's rename fails (a folder holds its name) after the .txt's has succeeded.
        Files.createDirectories(npy.resolve("in-the-way"));
        List<Path> files = List.of(Path.of("a.png"), Path.of("b.png"));
        List<float[]> features = List.of(new float[] {1, 2}, new float[] {3, 4});
        IOException e = assertThrows(IOException.class, () -> new NpyFeatureTable().write(npy, files, features, 2));
        assertTrue(e.getMessage().startsWith("cannot write " + npy), e.getMessage());
        assertFalse(Files.exists(txt), "no image list without its table");
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(npy), left.toList(), "no temporaries");
        }
        // The same when the .txt fails: no table without its list.
        Files.delete(npy.resolve("in-the-way"));
        Files.delete(npy);
        Files.createDirectories(txt.resolve("in-the-way"));
        assertThrows(IOException.class, () -> new NpyFeatureTable().write(npy, files, features, 2));
        assertFalse(Files.exists(npy), "no table without its image list");
    }

    @Test
    void anImageNameWithALineBreakIsRefusedForTheOneNamePerLineList() throws Exception {
        Path image = tmp.resolve("a\nb.png");
        Files.copy(Path.of(SAMPLES, "test-1.png"), image);
        CliRunner r = CliRunner.run(
                "embed", image.toString(), "--out", tmp.resolve("x.npy").toString());
        refusedInOneLine(r, "line break");
        assertTrue(r.err().contains("a\\nb.png"), "escaped: " + r.err());
        CliRunner csv = CliRunner.run(
                "embed", image.toString(), "--out", tmp.resolve("x.csv").toString());
        assertEquals(0, csv.exitCode(), csv.err());
    }
}
