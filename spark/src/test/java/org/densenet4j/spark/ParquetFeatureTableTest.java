package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.densenet4j.cli.Main;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.FeatureExtractor;
import org.densenet4j.io.ModelFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code embed --out FILE.parquet}: a table Spark reads back, equal to the Java API's features. */
class ParquetFeatureTableTest {

    @TempDir
    Path tmp;

    @Test
    void embedWritesAParquetTableOfFilesAndFeatures() throws Exception {
        Path out = tmp.resolve("features.parquet");
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute(
                "embed",
                "../models/fashion-mnist/samples",
                "--checkpoint",
                SparkClassifyTest.BUNDLED.toString(),
                "--out",
                out.toString());
        assertEquals(0, code, err.toString());
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(out), left.toList(), "one file, no temporary or .crc files");
        }
        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        List<Row> rows;
        try {
            rows = spark.read().parquet(out.toString()).collectAsList();
        } finally {
            spark.stop();
        }
        assertTrue(rows.size() >= 4, "the bundled samples");
        try (NDManager manager = NDManager.newBaseManager()) {
            FeatureExtractor extractor =
                    new FeatureExtractor(ModelFiles.open(SparkClassifyTest.BUNDLED, manager), manager);
            for (Row row : rows) {
                float[] want = extractor.features(ImageFiles.read(Path.of(row.getString(0))));
                List<Float> got = row.getList(1);
                assertEquals(want.length, got.size());
                float scale = 0;
                for (float v : want) {
                    scale = Math.max(scale, Math.abs(v));
                }
                // Batched and single-image passes differ in the last bits only.
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got.get(i), 1e-5f * scale, row.getString(0) + " feature " + i);
                }
            }
        }
    }
}
