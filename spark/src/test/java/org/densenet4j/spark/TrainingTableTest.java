package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageFolderDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A Parquet table listed for training, without Spark: rows read by index, labels and splits, schemas refused. */
class TrainingTableTest {

    private static final MessageType LABELLED = MessageTypeParser.parseMessageType(
            "message images { optional binary path (STRING); optional binary content; optional binary label (STRING);"
                    + " optional binary split (STRING); }");

    private static final MessageType UNSPLIT = MessageTypeParser.parseMessageType(
            "message images { optional binary path (STRING); optional binary content; optional binary label (STRING);"
                    + " }");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @MethodSource("org.densenet4j.spark.SparkParquetInputTest#layouts")
    void rowsReadByIndexAreTheRowsReadInOrder(HostileTables.Layout layout) throws Exception {
        Path table = tmp.resolve("rows.parquet");
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            byte[] content =
                    i == 5 ? new byte[5000] : i % 4 == 3 ? null : ("image " + i).getBytes(StandardCharsets.UTF_8);
            rows.add(new Object[] {i == 7 ? null : "image-" + i + ".png", content});
        }
        HostileTables.write(table, HostileTables.IMAGES, layout, rows, 2); // two rows a page: pages are passed over
        Configuration hadoop = new Configuration();
        List<ParquetImageTable.Slice> slices = ParquetImageTable.plan(table.toString(), hadoop);
        assertEquals(1, slices.size());
        try (org.apache.parquet.hadoop.ParquetFileReader file = org.apache.parquet.hadoop.ParquetFileReader.open(
                org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
                        new org.apache.hadoop.fs.Path(table.toUri()), new Configuration()))) {
            var chunk = file.getFooter().getBlocks().get(0).getColumns().get(1);
            assertEquals(6, file.readOffsetIndex(chunk).getPageCount(), "two rows a page");
        }
        List<ImageCell> all = new ArrayList<>();
        Iterator<ImageCell> cells = ParquetSliceReader.open(slices.get(0), hadoop, 4096, 1 << 20);
        cells.forEachRemaining(all::add);
        assertEquals(12, all.size());
        assertTrue(all.get(5).problem().contains("over the limit"), all.get(5).problem());

        ParquetSliceReader reader = ParquetSliceReader.reader(slices.get(0), hadoop, 4096, 1 << 20);
        for (int i : new int[] {0, 3, 4, 5, 7, 10, 11}) {
            ImageCell cell = reader.at(i);
            assertEquals(all.get(i).path(), cell.path(), "row " + i);
            assertArrayEquals(all.get(i).content(), cell.content(), "row " + i);
            assertEquals(all.get(i).problem(), cell.problem(), "row " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> reader.at(2), "rows are read forward only");
        reader.close();
    }

    @Test
    void classesSortAsAFoldersSubFoldersAndRowsWithoutALabelAreSkippedAndNamed() throws Exception {
        // U+FF21 sorts after U+1F600 in Java's UTF-16 order and before it in UTF-8's, which is the file system's.
        List<String> names = List.of("b", "a", "\uFF21", "\uD83D\uDE00", "B");
        Path folder = tmp.resolve("folder");
        for (String name : names) {
            Files.createDirectories(folder.resolve(name));
        }
        ImageIO.write(
                new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY),
                "png",
                folder.resolve("a/0.png").toFile());
        List<String> folderOrder = ImageFolderDataset.scan(folder, 1, 4, 4).classNames();

        Path table = tmp.resolve("labels.parquet");
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            rows.add(new Object[] {"x-" + i + ".png", null, names.get(i % names.size())});
        }
        rows.add(new Object[] {"unlabelled.png", null, null});
        rows.add(new Object[] {"long.png", null, "x".repeat(TrainingTable.MAX_LABEL_BYTES + 1)});
        HostileTables.write(table, UNSPLIT, HostileTables.Layout.of(CompressionCodecName.SNAPPY), rows);

        Configuration hadoop = new Configuration();
        List<ParquetImageTable.Slice> slices =
                ParquetImageTable.plan(table.toString(), hadoop, ParquetImageTable::checkTrainingSchema);
        TrainingTable.Labels labels = TrainingTable.read(0, slices.get(0), hadoop);
        assertEquals(2, labels.skipped());
        assertTrue(
                labels.problems().get(0).contains("row 20 of ")
                        && labels.problems().get(0).contains("no label"),
                labels.problems().toString());
        assertTrue(
                labels.problems().get(1).contains("over the limit"),
                labels.problems().toString());

        DatasetSplits splits =
                TrainingTable.gather(table.toString(), slices, List.of(labels), 1, 4, null, 0.25, 3, hadoop, 1 << 20);
        assertEquals(folderOrder, splits.train().classNames());
        assertEquals(5, splits.test().size(), "a quarter of the 20 labelled rows");
        assertEquals(15, splits.train().size());
        for (int i = 0; i < splits.train().size(); i++) { // each row keeps its own label
            ImageRef ref = TrainingImages.ref(splits.train(), i);
            String label = names.get((int) ref.row() % names.size());
            assertEquals(label, splits.train().classNames().get(splits.train().label(i)));
        }
    }

    @Test
    void aSplitColumnSplitsTheTableAndOtherValuesAreSkipped() throws Exception {
        Path table = tmp.resolve("split.parquet");
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rows.add(new Object[] {"x-" + i + ".png", null, i % 2 == 0 ? "even" : "odd", i < 7 ? "train" : "test"});
        }
        rows.add(new Object[] {"v.png", null, "odd", "validation"});
        HostileTables.write(
                table,
                LABELLED,
                new HostileTables.Layout(
                        CompressionCodecName.SNAPPY, true, ParquetProperties.WriterVersion.PARQUET_2_0),
                rows);
        Configuration hadoop = new Configuration();
        List<ParquetImageTable.Slice> slices =
                ParquetImageTable.plan(table.toString(), hadoop, ParquetImageTable::checkTrainingSchema);
        TrainingTable.Labels labels = TrainingTable.read(0, slices.get(0), hadoop);
        assertEquals(1, labels.skipped());
        assertTrue(
                labels.problems().get(0).contains("'validation' is neither train nor test"),
                labels.problems().get(0));
        DatasetSplits splits =
                TrainingTable.gather(table.toString(), slices, List.of(labels), 1, 4, null, 0.25, 3, hadoop, 1 << 20);
        assertEquals(7, splits.train().size());
        assertEquals(3, splits.test().size());
        assertEquals(List.of("even", "odd"), splits.test().classNames());
    }

    @Test
    void tablesThatCannotBeTrainedOnAreRefusedInOneLine() throws Exception {
        Configuration hadoop = new Configuration();
        Path ints = tmp.resolve("ints.parquet");
        HostileTables.write(
                ints,
                MessageTypeParser.parseMessageType(
                        "message t { optional binary path (STRING); optional int32 label; }"),
                HostileTables.Layout.of(CompressionCodecName.SNAPPY),
                List.<Object[]>of(new Object[] {"a.png", 1}));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ParquetImageTable.plan(ints.toString(), hadoop, ParquetImageTable::checkTrainingSchema));
        assertTrue(
                e.getMessage().contains("column 'label' is int32, expected a string")
                        && e.getMessage().contains("CAST"),
                e.getMessage());

        Path unlabelled = tmp.resolve("unlabelled.parquet");
        HostileTables.write(
                unlabelled,
                HostileTables.IMAGES,
                HostileTables.Layout.of(CompressionCodecName.SNAPPY),
                List.<Object[]>of(new Object[] {"a.png", null}));
        e = assertThrows(
                IllegalArgumentException.class,
                () -> ParquetImageTable.plan(unlabelled.toString(), hadoop, ParquetImageTable::checkTrainingSchema));
        assertTrue(e.getMessage().contains("needs a 'label' column"), e.getMessage());

        Path noImages = tmp.resolve("labels-only.parquet");
        HostileTables.write(
                noImages,
                MessageTypeParser.parseMessageType("message t { optional binary label (STRING); }"),
                HostileTables.Layout.of(CompressionCodecName.SNAPPY),
                List.<Object[]>of(new Object[] {"cat"}));
        e = assertThrows(
                IllegalArgumentException.class,
                () -> ParquetImageTable.plan(noImages.toString(), hadoop, ParquetImageTable::checkTrainingSchema));
        assertTrue(e.getMessage().contains("'path' column (string) or a 'content' column"), e.getMessage());
    }

    @Test
    void moreThanTheMostClassesInOneRowGroupRefuseTheTable() throws Exception {
        Path table = tmp.resolve("classes.parquet");
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i <= TrainingTable.MAX_CLASSES; i++) {
            rows.add(new Object[] {"x.png", null, "class-" + i});
        }
        HostileTables.write(table, UNSPLIT, HostileTables.Layout.of(CompressionCodecName.SNAPPY), rows);
        Configuration hadoop = new Configuration();
        List<ParquetImageTable.Slice> slices =
                ParquetImageTable.plan(table.toString(), hadoop, ParquetImageTable::checkTrainingSchema);
        assertEquals(1, slices.size());
        TrainingTable.Labels labels = TrainingTable.read(0, slices.get(0), hadoop);
        // Not a network of the first 100,000 classes with the rest of the table skipped.
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainingTable.gather(
                        table.toString(), slices, List.of(labels), 1, 4, null, 0.25, 3, hadoop, 1 << 20));
        assertTrue(e.getMessage().contains("more than 100000 distinct labels"), e.getMessage());
    }

    @Test
    void labelsThatAreNotUtf8AreSkippedNotMergedIntoOneClass() throws Exception {
        Path table = tmp.resolve("bytes.parquet");
        List<Object[]> rows = new ArrayList<>();
        rows.add(new Object[] {"a.png", null, new byte[] {(byte) 0xff}}); // both would decode to U+FFFD
        rows.add(new Object[] {"b.png", null, new byte[] {(byte) 0xfe}});
        rows.add(new Object[] {"c.png", null, "cat"});
        rows.add(new Object[] {"d.png", null, "dog"});
        HostileTables.write(table, UNSPLIT, HostileTables.Layout.of(CompressionCodecName.SNAPPY), rows);
        Configuration hadoop = new Configuration();
        List<ParquetImageTable.Slice> slices =
                ParquetImageTable.plan(table.toString(), hadoop, ParquetImageTable::checkTrainingSchema);
        TrainingTable.Labels labels = TrainingTable.read(0, slices.get(0), hadoop);
        assertEquals(List.of("cat", "dog"), List.of(labels.names()));
        assertEquals(2, labels.skipped());
        assertTrue(
                labels.problems().get(0).contains("row 0 of ")
                        && labels.problems().get(0).contains("the label is not UTF-8 text"),
                labels.problems().toString());
    }

    @Test
    void rowCountsThatWrapAroundWhenSummedAreRefused() {
        List<ParquetImageTable.Slice> slices = new ArrayList<>();
        for (long rows : new long[] {1L << 62, 1L << 62, 1L << 62, (1L << 62) + 10}) { // sums to 10, modulo 2^64
            slices.add(new ParquetImageTable.Slice("file:/t.parquet", slices.size(), 0, rows));
        }
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TrainingTable.checkRows("t.parquet", slices));
        assertTrue(e.getMessage().contains("declares more than 67108864 rows"), e.getMessage());
        TrainingTable.checkRows(
                "t.parquet", List.of(new ParquetImageTable.Slice("file:/t.parquet", 0, 0, TrainingTable.MAX_ROWS)));
    }

    @Test
    void skippedRowsAreNamedInTheLogWithoutTerminalControls() throws Exception {
        Path table = tmp.resolve("escapes.parquet");
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            rows.add(new Object[] {"x-" + i + ".png", null, i % 2 == 0 ? "cat" : "dog", "train"});
        }
        rows.add(new Object[] {"y.png", null, "cat", "test"});
        rows.add(new Object[] {"z.png", null, "cat", "\u001b[2J\u001b]0;owned\u0007"}); // clear screen, retitle
        HostileTables.write(table, LABELLED, HostileTables.Layout.of(CompressionCodecName.SNAPPY), rows);
        Configuration hadoop = new Configuration();
        List<ParquetImageTable.Slice> slices =
                ParquetImageTable.plan(table.toString(), hadoop, ParquetImageTable::checkTrainingSchema);
        TrainingTable.Labels labels = TrainingTable.read(0, slices.get(0), hadoop);
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        java.io.PrintStream err = System.err;
        System.setErr(new java.io.PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            TrainingTable.gather(table.toString(), slices, List.of(labels), 1, 4, null, 0.25, 3, hadoop, 1 << 20);
        } finally {
            System.setErr(err);
        }
        String logged = log.toString(StandardCharsets.UTF_8);
        assertTrue(logged.contains("split '\\x1b[2J\\x1b]0;owned\\x07' is neither"), logged);
        assertTrue(logged.chars().noneMatch(c -> c == 0x1b || c == 0x07), logged);
    }

    @Test
    void aTableDirectoryIsListedOnceThroughSymbolicLinksToItself() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("linked.parquet"));
        HostileTables.write(
                dir.resolve("part-0.parquet"),
                UNSPLIT,
                HostileTables.Layout.of(CompressionCodecName.ZSTD),
                List.<Object[]>of(new Object[] {"x.png", null, "cat"}));
        // One link back nested 40 deep (the kernel's limit) and listed the file 41 times; two listed it 2^41 - 1.
        Files.createSymbolicLink(dir.resolve("again"), dir);
        Files.createSymbolicLink(dir.resolve("more"), Path.of("."));
        List<ParquetImageTable.Slice> slices = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(30),
                () -> ParquetImageTable.plan(
                        dir.toString(), new Configuration(), ParquetImageTable::checkTrainingSchema));
        assertEquals(1, slices.size(), slices.toString());
    }

    @Test
    void aClassNameRepeatedByManyRowGroupsIsHeldOnceAndTooManyAreRefused() {
        java.util.Map<String, String> seen = new java.util.HashMap<>();
        TrainingTable.Labels first = TrainingTable.shareNames("t", labels(0, new String("cat"), "dog"), seen);
        TrainingTable.Labels second = TrainingTable.shareNames("t", labels(1, new String("cat")), seen);
        org.junit.jupiter.api.Assertions.assertSame(first.names()[0], second.names()[0], "one String for one name");

        java.util.Map<String, String> many = new java.util.HashMap<>();
        String[] names = new String[TrainingTable.MAX_CLASSES + 1];
        for (int i = 0; i < names.length; i++) {
            names[i] = "c" + i;
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> TrainingTable.shareNames("t", labels(0, names), many));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("more than 100000 distinct labels"));
    }

    private static TrainingTable.Labels labels(int slice, String... names) {
        return new TrainingTable.Labels(slice, names, new int[0], new byte[0], 0, java.util.List.of());
    }
}
