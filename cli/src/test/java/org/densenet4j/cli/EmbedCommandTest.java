package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
}
