package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark job in local[2] mode against the same classifier `densenet4j predict` uses. */
class SparkClassifyTest {

    static final Path BUNDLED = Path.of("../models/fashion-mnist/densenet-bc-40-12.d4j");

    @TempDir
    Path tmp;

    @Test
    void localModeMatchesPredictAndReportsBrokenImagesAsErrorRows() throws Exception {
        Path images = tmp.resolve("images");
        Files.createDirectories(images.resolve("nested"));
        for (int i = 0; i < 4; i++) {
            Files.copy(
                    Path.of("../models/fashion-mnist/samples/test-" + i + ".png"), images.resolve("fm-" + i + ".png"));
        }
        BufferedImage colour = new BufferedImage(90, 50, BufferedImage.TYPE_INT_RGB);
        colour.setRGB(40, 20, 0x33cc99);
        ImageIO.write(colour, "jpg", images.resolve("nested/colour.jpg").toFile());
        Files.write(images.resolve("broken.png"), new byte[] {1, 2, 3});
        Files.writeString(images.resolve("nested/notes.txt"), "not an image");

        SparkClassify job = new SparkClassify();
        job.input = images.toString();
        job.inputFormat = "auto";
        job.output = tmp.resolve("out.parquet").toString();
        new picocli.CommandLine(job.model).parseArgs("--checkpoint", BUNDLED.toString());
        job.master = "local[2]";
        job.batchSize = 2;
        job.threads = 1;
        job.topK = 3;
        job.partitions = 2;
        job.maxImageBytes = 64 << 20;
        SparkClassify.Summary summary = job.run();
        assertEquals(7, summary.images());
        assertEquals(2, summary.errors());

        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        List<Row> rows;
        try {
            rows = spark.read().parquet(job.output).collectAsList();
        } finally {
            spark.stop();
        }
        Map<String, Row> byName = new HashMap<>();
        for (Row r : rows) {
            byName.put(
                    Path.of(r.getString(0).replaceFirst("^file:", ""))
                            .getFileName()
                            .toString(),
                    r);
        }
        assertNotNull(byName.get("broken.png").getString(3));
        assertNotNull(byName.get("notes.txt").getString(3));
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel loaded = ModelFiles.open(BUNDLED, manager);
            ImageClassifier predict = new ImageClassifier(loaded.network(), loaded.spec(), manager);
            for (String name : List.of("fm-0.png", "fm-1.png", "fm-2.png", "fm-3.png", "colour.jpg")) {
                Path file = name.equals("colour.jpg") ? images.resolve("nested/colour.jpg") : images.resolve(name);
                Classifications expected = predict.classify(ImageFiles.read(file));
                Row row = byName.get(name);
                assertNull(row.getString(3), name + " should not fail");
                List<String> labels = row.getList(1);
                List<Double> probabilities = row.getList(2);
                assertEquals(3, labels.size());
                for (int k = 0; k < 3; k++) {
                    assertEquals(expected.topK(3).get(k).getClassName(), labels.get(k), name);
                    assertEquals(expected.topK(3).get(k).getProbability(), probabilities.get(k), 1e-5, name);
                }
            }
        }
        assertTrue(summary.jobSeconds() > 0);
    }

    @Test
    void featuresComeWithTheClassificationFromOneForwardPass() throws Exception {
        Path images = tmp.resolve("images");
        Files.createDirectories(images);
        for (int i = 0; i < 3; i++) {
            Files.copy(
                    Path.of("../models/fashion-mnist/samples/test-" + i + ".png"), images.resolve("fm-" + i + ".png"));
        }
        SparkClassify job = new SparkClassify();
        job.input = images.toString();
        job.inputFormat = "auto";
        job.output = tmp.resolve("features.parquet").toString();
        new picocli.CommandLine(job.model).parseArgs("--checkpoint", BUNDLED.toString());
        job.master = "local[2]";
        job.batchSize = 2;
        job.threads = 1;
        job.topK = 2;
        job.features = true;
        job.maxImageBytes = 64 << 20;
        assertEquals(3, job.run().images());

        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        List<Row> rows;
        try {
            rows = spark.read().parquet(job.output).collectAsList();
        } finally {
            spark.stop();
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel loaded = ModelFiles.open(BUNDLED, manager);
            org.densenet4j.infer.FeatureExtractor extractor =
                    new org.densenet4j.infer.FeatureExtractor(loaded, manager);
            ImageClassifier predict = new ImageClassifier(loaded.network(), loaded.spec(), manager);
            for (Row row : rows) {
                Path file = Path.of(row.getString(0).replaceFirst("^file:", ""));
                BufferedImage image = ImageFiles.read(file);
                List<Float> got = row.getList(row.fieldIndex("features"));
                float[] want = extractor.features(image);
                assertEquals(want.length, got.size());
                float scale = 0;
                for (float v : want) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertTrue(scale > 0, "features are not all zero");
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got.get(i), 1e-5 * scale, file + " feature " + i);
                }
                Classifications expected = predict.classify(image);
                assertEquals(expected.best().getClassName(), row.getList(1).get(0), file.toString());
                assertEquals(
                        expected.best().getProbability(),
                        (Double) row.getList(2).get(0),
                        1e-4);
            }
        }
    }
}
