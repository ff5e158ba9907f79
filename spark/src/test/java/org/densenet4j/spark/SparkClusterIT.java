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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.Presets;
import org.densenet4j.script.TorchScriptExport;
import org.densenet4j.torch.TorchFileWriter;
import org.densenet4j.torch.TorchImport;
import org.densenet4j.torch.TorchWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shaded jar on a real standalone cluster (a Master and a Worker as separate JVMs, Spark's own jars first on
 * every classpath, as a distribution has them), submitted as the README says: a .d4j checkpoint, a PyTorch .pth and a
 * TorchScript archive classify as the same model does locally, in client and cluster deploy mode. Run by {@code mvn
 * -Pshaded -pl spark -am verify}.
 */
class SparkClusterIT {

    private static final Path BUNDLED = Path.of("../models/fashion-mnist/densenet-bc-40-12.d4j");
    private static final String PRESET = "densenet-bc-40-12";
    private static final Duration SUBMIT_TIMEOUT = Duration.ofMinutes(4);

    /** Under target/, so that the daemons' and submissions' logs outlive a failure. */
    private static Path tmp;

    private static StandaloneCluster cluster;
    private static Path shadedJar;
    private static Path images;
    private static Path models;

    @BeforeAll
    static void startCluster() throws Exception {
        tmp = Path.of("target", "spark-cluster-it").toAbsolutePath();
        if (Files.exists(tmp)) {
            try (var old = Files.walk(tmp)) {
                old.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(tmp);
        shadedJar = Path.of(System.getProperty("densenet4j.shadedJar"));
        assertTrue(Files.isRegularFile(shadedJar), shadedJar + " is built by mvn -Pshaded package");
        images = writeImages(Files.createDirectories(tmp.resolve("images")));
        models = writeModels(Files.createDirectories(tmp.resolve("models")));
        cluster = StandaloneCluster.start(
                Path.of(System.getProperty("densenet4j.sparkDistribution")), tmp.resolve("cluster"), 2, "4g");
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aCheckpointClassifiesAsLocally() throws Exception {
        Path out = classify("d4j", "client", List.of("--checkpoint", "model.d4j"), "model.d4j");
        assertSameAsLocal(out, models.resolve("model.d4j"), ModelFiles.Options.none());
    }

    @Test
    void aPthClassifiesAsLocallyWithSparksOwnPickleOnTheClasspath() throws Exception {
        Path out = classify("pth", "client", List.of("--weights", "model.pth", "--model", PRESET), "model.pth");
        assertSameAsLocal(
                out, models.resolve("model.pth"), new ModelFiles.Options(Presets.named(PRESET), null, null, true));
    }

    @Test
    void aTorchScriptArchiveClassifiesAsLocally() throws Exception {
        Path out = classify("pt", "client", List.of("--checkpoint", "model.pt"), "model.pt");
        assertSameAsLocal(out, models.resolve("model.pt"), ModelFiles.Options.none());
    }

    @Test
    void clusterDeployModeRunsTheDriverOnTheWorker() throws Exception {
        Path out = classify("cluster", "cluster", List.of("--weights", "model.pth", "--model", PRESET), "model.pth");
        assertSameAsLocal(
                out, models.resolve("model.pth"), new ModelFiles.Options(Presets.named(PRESET), null, null, true));
    }

    @Test
    void sparkTrainFineTunesAndProbesOnTheCluster() throws Exception {
        Path data = SparkTrainProbeTest.writeDataset(tmp.resolve("train-data"));
        for (String mode : List.of("none", "features")) {
            Path run = tmp.resolve("run-" + mode);
            List<String> args = List.of(
                    "--master",
                    cluster.masterUrl(),
                    "--class",
                    "org.densenet4j.spark.SparkTrain",
                    "--conf",
                    "spark.executor.cores=1",
                    "--conf",
                    "spark.executor.memory=1g",
                    "--conf",
                    "spark.task.maxFailures=1",
                    shadedJar.toString(),
                    "--input",
                    data.toString(),
                    "--holdout",
                    "0.25",
                    "--run-dir",
                    run.toString(),
                    "--weights",
                    models.resolve("model.d4j").toString(),
                    "--freeze",
                    mode,
                    "--epochs",
                    "1",
                    "--batch-size",
                    "8",
                    "--no-augment",
                    "--threads",
                    "1");
            StandaloneCluster.Submission s = cluster.submit("train-" + mode, args, SUBMIT_TIMEOUT);
            assertEquals(0, s.exitCode(), "spark-train " + mode + ":\n" + StandaloneCluster.tail(s.log()));
            assertTrue(s.output().contains("checkpoint: "), s.output());
            try (NDManager manager = NDManager.newBaseManager()) {
                TrainedModel trained = ModelFiles.open(run.resolve("checkpoint.d4j"), manager);
                assertEquals(SparkTrainProbeTest.CLASSES, trained.spec().classNames());
                Classifications c = new ImageClassifier(trained, manager)
                        .classify(ImageFiles.read(data.resolve("rows").resolve("rows-0.png")));
                assertEquals(3, c.items().size());
            }
        }
    }

    /** Submits spark-classify as the README does and returns the output table's path. */
    private Path classify(String name, String deployMode, List<String> modelArgs, String modelFile) throws Exception {
        Path out = tmp.resolve("out-" + name + ".parquet");
        List<String> args = new ArrayList<>(List.of(
                "--master",
                cluster.masterUrl(),
                "--deploy-mode",
                deployMode,
                "--class",
                "org.densenet4j.spark.SparkClassify",
                "--files",
                models.resolve(modelFile).toString(),
                "--conf",
                "spark.executor.cores=1",
                "--conf",
                "spark.executor.memory=1g",
                "--conf",
                "spark.task.cpus=1",
                "--conf",
                "spark.task.maxFailures=1"));
        if (deployMode.equals("cluster")) {
            // The Worker starts the driver with no --add-opens of its own (README, "On a cluster").
            args.addAll(List.of("--driver-java-options", String.join(" ", StandaloneCluster.OPENS)));
            args.addAll(List.of("--conf", "spark.driver.memory=1g", "--conf", "spark.driver.cores=1"));
            args.addAll(List.of("--conf", "spark.standalone.submit.waitAppCompletion=true"));
        }
        args.add(shadedJar.toString());
        args.addAll(modelArgs);
        args.addAll(List.of(
                "--input",
                images.toString(),
                "--output",
                out.toString(),
                "--threads",
                "1",
                "--partitions",
                "2",
                "--batch-size",
                "8"));
        StandaloneCluster.Submission s = cluster.submit(name, args, SUBMIT_TIMEOUT);
        String log = s.output();
        assertEquals(0, s.exitCode(), "spark-submit " + name + ":\n" + StandaloneCluster.tail(s.log()));
        if (deployMode.equals("client")) {
            assertTrue(log.contains("classified 25 images (1 errors)"), log + StandaloneCluster.tail(s.log()));
        }
        assertTrue(Files.isDirectory(out), "no output table after " + name + ":\n" + StandaloneCluster.tail(s.log()));
        return out;
    }

    /** Every image has the top-3 labels and probabilities the same model gives locally; the broken one an error. */
    private void assertSameAsLocal(Path table, Path model, ModelFiles.Options options) throws Exception {
        List<Row> rows;
        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        try {
            rows = spark.read().parquet(table.toString()).collectAsList();
        } finally {
            spark.stop();
        }
        assertEquals(25, rows.size());
        Map<String, Row> byName = new HashMap<>();
        for (Row r : rows) {
            byName.put(
                    Path.of(r.getString(0).replaceFirst("^file:", ""))
                            .getFileName()
                            .toString(),
                    r);
        }
        assertNotNull(byName.get("broken.png").getString(3));
        try (NDManager manager = NDManager.newBaseManager()) {
            InferenceModel loaded = ModelFiles.openForInference(model, options, Precision.FP32, manager, w -> {});
            ImageClassifier local = new ImageClassifier(loaded, manager);
            int compared = 0;
            for (Map.Entry<String, Row> e : byName.entrySet()) {
                if (e.getKey().equals("broken.png")) {
                    continue;
                }
                Row row = e.getValue();
                assertNull(row.getString(3), e.getKey() + " should not fail");
                Classifications expected = local.classify(ImageFiles.read(images.resolve(e.getKey())));
                List<String> labels = row.getList(1);
                List<Double> probabilities = row.getList(2);
                for (int k = 0; k < 3; k++) {
                    assertEquals(expected.topK(3).get(k).getClassName(), labels.get(k), e.getKey());
                    assertEquals(expected.topK(3).get(k).getProbability(), probabilities.get(k), 1e-5, e.getKey());
                }
                compared++;
            }
            assertEquals(24, compared);
        }
    }

    /** 24 images (the four samples, flipped, shifted, transposed, inverted) and one broken file. */
    private static Path writeImages(Path dir) throws Exception {
        int n = 0;
        for (int i = 0; i < 4; i++) {
            BufferedImage sample = ImageIO.read(Path.of("../models/fashion-mnist/samples/test-" + i + ".png")
                    .toFile());
            int w = sample.getWidth();
            int h = sample.getHeight();
            List<java.util.function.IntBinaryOperator> sources = List.of(
                    (x, y) -> sample.getRGB(x, y),
                    (x, y) -> sample.getRGB(w - 1 - x, y),
                    (x, y) -> sample.getRGB(x, h - 1 - y),
                    (x, y) -> x >= 3 ? sample.getRGB(x - 3, y) : 0xff000000,
                    (x, y) -> y < Math.min(w, h) && x < Math.min(w, h) ? sample.getRGB(y, x) : 0xff000000,
                    (x, y) -> sample.getRGB(x, y) ^ 0x00ffffff);
            for (java.util.function.IntBinaryOperator source : sources) {
                BufferedImage moved = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        moved.setRGB(x, y, source.applyAsInt(x, y));
                    }
                }
                ImageIO.write(moved, "png", dir.resolve("img-" + n++ + ".png").toFile());
            }
        }
        Files.write(dir.resolve("broken.png"), new byte[] {1, 2, 3});
        return dir;
    }

    /** The bundled checkpoint as .d4j, as a PyTorch state dict and as a TorchScript archive. */
    private static Path writeModels(Path dir) throws Exception {
        Files.copy(BUNDLED, dir.resolve("model.d4j"));
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel model = ModelFiles.open(BUNDLED, manager);
            TorchFileWriter.write(
                    TorchWeights.stateDict(model.network(), TorchImport.layout(Presets.named(PRESET), null)),
                    dir.resolve("model.pth"));
            TorchScriptExport.write(model, dir.resolve("model.pt"));
        }
        return dir;
    }
}
