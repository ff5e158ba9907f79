package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.densenet4j.data.ImageFolderDataset;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** spark-train on Parquet tables of labelled images in local[2]: the same training as a folder, and the probe. */
class SparkTrainTableTest {

    private static final Path BUNDLED = SparkClassifyTest.BUNDLED;

    private static final MessageType PATHS_AND_CONTENT = MessageTypeParser.parseMessageType(
            "message images { optional binary path (STRING); optional binary content; required binary label (STRING); }");
    private static final MessageType CONTENT_AND_SPLIT = MessageTypeParser.parseMessageType(
            "message images { optional binary content; optional binary label (STRING); optional binary split (STRING); }");

    @TempDir
    Path tmp;

    @Test
    void aTableOfTheFoldersImagesTrainsAsTheFolderDoesReadingEachFooterOnce() throws Exception {
        Path data = SparkTrainProbeTest.writeImages(tmp.resolve("data"));
        // The folder's images in its order, in two files: most as bytes, every fifth by its path.
        ImageFolderDataset folder = ImageFolderDataset.scan(data, 1, 28, 28);
        Path table = Files.createDirectories(tmp.resolve("images.parquet"));
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < folder.size(); i++) {
            Path file = folder.file(i);
            rows.add(new Object[] {
                file.toString(),
                i % 5 == 0 ? null : Files.readAllBytes(file),
                folder.classNames().get(folder.label(i))
            });
        }
        HostileTables.write(
                table.resolve("part-0.parquet"),
                PATHS_AND_CONTENT,
                HostileTables.Layout.of(CompressionCodecName.SNAPPY),
                rows.subList(0, 10),
                3);
        HostileTables.write(
                table.resolve("part-1.parquet"),
                PATHS_AND_CONTENT,
                HostileTables.Layout.of(CompressionCodecName.ZSTD),
                rows.subList(10, rows.size()),
                3);

        String[] settings = {"--epochs", "1", "--batch-size", "8", "--augment", "crop,flip"};
        dataParallel(data, tmp.resolve("from-folder"), settings);
        long footersBefore = FooterCache.SHARED.reads();
        DataParallelJob.Result fromTable = dataParallel(table, tmp.resolve("from-table"), settings);
        // local[2]: the driver and the executor are one JVM. Planned, labels listed, 3 steps of 2 tasks reading
        // rows of both files, the test rows read to evaluate: each file's footer read once.
        assertEquals(2, FooterCache.SHARED.reads() - footersBefore, "footers read");
        assertEquals(1, fromTable.history().size());
        assertEquals(0, fromTable.history().get(0).skippedImages());
        assertArrayEquals(
                weights(tmp.resolve("from-folder")),
                weights(tmp.resolve("from-table")),
                "the same images, split, ordered and augmented as the folder's, give the same weights");
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel trained = ModelFiles.open(fromTable.checkpoint(), manager);
            assertEquals(SparkTrainProbeTest.CLASSES, trained.spec().classNames());
        }
    }

    @Test
    void theProbeTrainsOnATableOfBytesWithASplitColumnAndSkipsWhatItCannotRead() throws Exception {
        Path data = SparkTrainProbeTest.writeImages(tmp.resolve("data"));
        ImageFolderDataset folder = ImageFolderDataset.scan(data, 1, 28, 28);
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < folder.size(); i++) {
            rows.add(new Object[] {
                Files.readAllBytes(folder.file(i)),
                folder.classNames().get(folder.label(i)),
                i % 4 == 0 ? "test" : "train"
            });
        }
        rows.add(new Object[] {new byte[] {1, 2, 3}, "rows", "train"}); // not an image
        rows.add(new Object[] {new byte[100_000], "rows", "train"}); // over --max-image-bytes
        rows.add(new Object[] {HostileTables.pngDeclaring(100_000, 100_000), "blobs", "train"}); // 10 GB decoded
        rows.add(new Object[] {Files.readAllBytes(folder.file(0)), null, "train"}); // no label
        Path table = tmp.resolve("bytes.parquet");
        HostileTables.write(table, CONTENT_AND_SPLIT, HostileTables.Layout.of(CompressionCodecName.ZSTD), rows);

        SparkTrain job = new SparkTrain();
        SparkTrain.commandLine(job)
                .parseArgs(
                        "--input", table.toString(),
                        "--run-dir", tmp.resolve("probe").toString(),
                        "--weights", BUNDLED.toString(),
                        "--freeze", "features",
                        "--master", "local[2]",
                        "--partitions", "2",
                        "--max-image-bytes", "50000");
        LinearProbeJob.Result result = job.run();
        assertEquals(3, result.unreadable(), "the broken, the oversized and the huge cell are counted and skipped");
        assertTrue(result.metrics().trainAccuracy() > 0.9, result.metrics().toString());
        assertEquals(3, result.metrics().skippedImages());
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel probe = ModelFiles.open(result.checkpoint(), manager);
            assertEquals(SparkTrainProbeTest.CLASSES, probe.spec().classNames());
        }
    }

    private DataParallelJob.Result dataParallel(Path input, Path run, String... extra) throws Exception {
        SparkTrain job = new SparkTrain();
        List<String> args = new ArrayList<>(List.of(
                "--input", input.toString(),
                "--holdout", "0.25",
                "--run-dir", run.toString(),
                "--weights", BUNDLED.toString(),
                "--seed", "7",
                "--master", "local[2]",
                "--shards", "2",
                "--lr", "0.05"));
        args.addAll(List.of(extra));
        SparkTrain.commandLine(job).parseArgs(args.toArray(String[]::new));
        return job.runDataParallel();
    }

    private static float[] weights(Path run) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel m = ModelFiles.open(run.resolve("checkpoint.d4j"), manager);
            return ParameterLayout.flatten(new ParameterLayout(m.network()).all());
        }
    }

    @Test
    void overwriteKeepsTheEarlierRunWhenTheNewOneIsRefusedForItsTable() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(run.resolve("checkpoint.d4j"), "the earlier run");
        Files.writeString(run.resolve("metrics.csv"), "its metrics");
        Path table = tmp.resolve("unlabelled.parquet");
        byte[] image = Files.readAllBytes(Path.of("../models/fashion-mnist/samples/test-0.png"));
        HostileTables.write(
                table,
                CONTENT_AND_SPLIT,
                HostileTables.Layout.of(CompressionCodecName.ZSTD),
                List.of(new Object[] {image, null, "train"}, new Object[] {image, null, "test"}));
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = SparkTrain.commandLine(new SparkTrain());
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
        int exit = cl.execute(
                "--master",
                "local[1]",
                "--input",
                table.toString(),
                "--run-dir",
                run.toString(),
                "--model",
                "densenet-bc-40-12",
                "--channels",
                "1",
                "--image-size",
                "28",
                "--overwrite");
        assertEquals(2, exit, err.toString());
        assertTrue(err.toString().contains("a classifier needs at least 2"), err.toString());
        assertEquals("the earlier run", Files.readString(run.resolve("checkpoint.d4j")));
        assertEquals("its metrics", Files.readString(run.resolve("metrics.csv")));
    }
}
