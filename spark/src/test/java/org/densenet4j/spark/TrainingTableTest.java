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
}
