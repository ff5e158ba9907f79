package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.FeatureExtractor;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.DenseNet;
import org.densenet4j.train.RunExistsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code spark-train --freeze features} in local[2]: MLlib's classifier becomes the checkpoint's, and predicts so. */
class SparkTrainProbeTest {

    /** The same request as the other tests of this JVM: an executor serves one model. */
    static final Path BUNDLED = SparkClassifyTest.BUNDLED;

    static final List<String> CLASSES = List.of("blobs", "columns", "rows");

    @TempDir
    Path tmp;

    @Test
    void theProbesClassifierIsMllibsAndPredictsAsTheCheckpoint() throws Exception {
        Path data = writeDataset(tmp.resolve("data"));
        Path run = tmp.resolve("run");
        SparkTrain job = new SparkTrain();
        SparkTrain.commandLine(job)
                .parseArgs(
                        "--input", data.toString(),
                        "--holdout", "0.25",
                        "--run-dir", run.toString(),
                        "--weights", BUNDLED.toString(),
                        "--freeze", "features",
                        "--weight-decay", "1e-3",
                        "--master", "local[2]",
                        "--partitions", "2",
                        "--batch-size", "8");
        LinearProbeJob.Result result = job.run();

        assertEquals(2, result.unreadable(), "the broken file and the huge one are counted and skipped");
        for (String file : List.of("checkpoint.d4j", "metrics.csv", "metrics.json", "curves.png")) {
            assertTrue(Files.isRegularFile(run.resolve(file)), file);
        }
        assertTrue(result.metrics().trainAccuracy() > 0.9, "three easy classes: " + result.metrics());

        LogisticRegressionModel mllib = result.model();
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel probe = ModelFiles.open(result.checkpoint(), manager);
            assertEquals(CLASSES, probe.spec().classNames());
            assertClassifierIs(mllib, probe.network());

            TrainedModel pretrained = ModelFiles.open(BUNDLED, manager);
            FeatureExtractor features = new FeatureExtractor(pretrained, manager);
            ImageClassifier checkpoint = new ImageClassifier(probe, manager);
            int compared = 0;
            try (var files = Files.walk(data)) {
                for (Path file :
                        files.filter(f -> f.toString().endsWith(".png")).toList()) {
                    if (List.of("broken.png", "huge.png")
                            .contains(file.getFileName().toString())) {
                        continue;
                    }
                    BufferedImage image = ImageFiles.read(file);
                    float[] f = features.features(image);
                    double[] asDouble = new double[f.length];
                    for (int i = 0; i < f.length; i++) {
                        asDouble[i] = f[i];
                    }
                    Vector probabilities = mllib.predictProbability(Vectors.dense(asDouble));
                    Classifications c = checkpoint.classify(image);
                    for (int k = 0; k < CLASSES.size(); k++) {
                        assertEquals(
                                probabilities.apply(k),
                                c.get(CLASSES.get(k)).getProbability(),
                                1e-4,
                                file + " " + CLASSES.get(k));
                    }
                    assertEquals(
                            CLASSES.get((int) mllib.predict(Vectors.dense(asDouble))),
                            c.best().getClassName(),
                            file.toString());
                    compared++;
                }
            }
            assertEquals(CLASSES.size() * 8, compared);
        }

        SparkTrain again = new SparkTrain();
        SparkTrain.commandLine(again)
                .parseArgs(
                        "--input", data.toString(),
                        "--run-dir", run.toString(),
                        "--weights", BUNDLED.toString(),
                        "--freeze", "features");
        assertThrows(RunExistsException.class, again::run, "a run folder is never overwritten unasked");
    }

    /** The checkpoint's classifier holds MLlib's coefficients and intercepts, as float32. */
    private static void assertClassifierIs(LogisticRegressionModel mllib, DenseNet network) {
        Matrix coefficients = mllib.coefficientMatrix();
        float[] weight = network.head()
                .classifier()
                .getParameters()
                .get("weight")
                .getArray()
                .toFloatArray();
        float[] bias = network.head()
                .classifier()
                .getParameters()
                .get("bias")
                .getArray()
                .toFloatArray();
        int d = coefficients.numCols();
        assertEquals(CLASSES.size(), coefficients.numRows());
        assertEquals(CLASSES.size() * d, weight.length);
        float[] expected = new float[weight.length];
        for (int c = 0; c < CLASSES.size(); c++) {
            for (int j = 0; j < d; j++) {
                expected[c * d + j] = (float) coefficients.apply(c, j);
            }
        }
        assertArrayEquals(expected, weight);
        double[] intercepts = mllib.interceptVector().toArray();
        for (int c = 0; c < CLASSES.size(); c++) {
            assertEquals((float) intercepts[c], bias[c]);
        }
    }

    /**
     * Three classes of 28x28 grey images, 8 each, seeded noise on blobs, columns and rows; one broken file, and one
     * whose header declares 100,000 x 100,000 pixels (decoding it would take 10 GB: refused from its header).
     */
    static Path writeDataset(Path root) throws Exception {
        writeImages(root);
        Files.write(root.resolve("rows").resolve("broken.png"), new byte[] {1, 2, 3});
        Files.write(root.resolve("columns").resolve("huge.png"), HostileTables.pngDeclaring(100_000, 100_000));
        return root;
    }

    /** The dataset of {@link #writeDataset} without the broken file. */
    static Path writeImages(Path root) throws Exception {
        Random random = new Random(5);
        for (String name : CLASSES) {
            Path dir = Files.createDirectories(root.resolve(name));
            for (int n = 0; n < 8; n++) {
                BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
                int phase = random.nextInt(4);
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        boolean on =
                                switch (name) {
                                    case "columns" -> (x + phase) % 6 < 3;
                                    case "rows" -> (y + phase) % 6 < 3;
                                    default -> Math.hypot(x - 14 - phase, y - 14 + phase) < 7;
                                };
                        int v = Math.max(0, Math.min(255, (on ? 200 : 30) + (int) (random.nextGaussian() * 20)));
                        image.getRaster().setSample(x, y, 0, v);
                    }
                }
                ImageIO.write(image, "png", dir.resolve(name + "-" + n + ".png").toFile());
            }
        }
        return root;
    }
}
