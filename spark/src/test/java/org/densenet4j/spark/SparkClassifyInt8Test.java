package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.Precision;
import org.densenet4j.io.ModelFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spark-classify --precision int8}: the driver resolves the model's calibration and ships it; every executor
 * compiles densenet4j's int8 module with it and answers what the int8 predict path answers. The job runs in a JVM of
 * its own, because an executor JVM serves one model (the other Spark tests' fp32 one in this JVM).
 */
class SparkClassifyInt8Test {

    @TempDir
    Path tmp;

    @Test
    void int8ExecutorsAnswerWhatTheInt8PredictPathAnswers() throws Exception {
        Assumptions.assumeTrue(Precision.INT8.isSupported(), "this CPU has neither avx512_vnni nor amx_int8");
        Path images = tmp.resolve("images");
        Files.createDirectories(images);
        for (int i = 0; i < 4; i++) {
            Files.copy(
                    Path.of("../models/fashion-mnist/samples/test-" + i + ".png"), images.resolve("fm-" + i + ".png"));
        }
        Path output = tmp.resolve("out.parquet");
        List<String> command = new ArrayList<>(SparkParquetInputTest.childJava());
        command.addAll(List.of(
                SparkClassify.class.getName(),
                "--input",
                images.toString(),
                "--output",
                output.toString(),
                "--checkpoint",
                SparkClassifyTest.BUNDLED.toString(),
                "--precision",
                "int8",
                "--master",
                "local[2]",
                "--partitions",
                "2",
                "--batch-size",
                "2",
                "--topk",
                "2"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("ONEDNN_MAX_CPU_ISA", System.getenv().getOrDefault("ONEDNN_MAX_CPU_ISA", "SSE41"));
        Process child = builder.start();
        String log = new String(child.getInputStream().readAllBytes());
        assertEquals(0, child.waitFor(), log);
        assertTrue(log.contains("int8 calibration from "), log);
        assertTrue(log.contains("classified 4 images (0 errors)"), log);

        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        List<Row> rows;
        try {
            rows = spark.read().parquet(output.toString()).collectAsList();
        } finally {
            spark.stop();
        }
        assertEquals(4, rows.size());
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageClassifier int8 = new ImageClassifier(
                    ModelFiles.openInt8(SparkClassifyTest.BUNDLED, ModelFiles.Options.none(), null, manager, w -> {}),
                    manager);
            for (Row row : rows) {
                Path file = Path.of(row.getString(0).replaceFirst("^file:", ""));
                assertNull(row.getString(3), file + " should not fail");
                Classifications expected = int8.classify(ImageFiles.read(file));
                List<String> labels = row.getList(1);
                List<Double> probabilities = row.getList(2);
                for (int k = 0; k < 2; k++) {
                    assertEquals(expected.topK(2).get(k).getClassName(), labels.get(k), file.toString());
                    assertEquals(expected.topK(2).get(k).getProbability(), probabilities.get(k), 1e-5);
                }
            }
        }
    }

    @Test
    void calibrationOptionsWithoutInt8AreAUsageError() {
        SparkClassify job = new SparkClassify();
        job.input = "unused";
        job.inputFormat = "auto";
        job.output = "unused";
        job.batchSize = 1;
        job.threads = 1;
        job.topK = 1;
        job.maxImageBytes = 1 << 20;
        new picocli.CommandLine(job)
                .parseArgs("--input", "unused", "--output", "unused", "--calibrate", "../models/fashion-mnist/samples");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, job::run);
        assertTrue(e.getMessage().contains("--calibrate is for --precision int8, not fp32"), e.getMessage());
    }
}
