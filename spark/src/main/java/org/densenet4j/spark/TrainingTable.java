package org.densenet4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.densenet4j.base.TerminalText;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ResizeAndCrop;
import org.densenet4j.data.SubsetDataset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Parquet table of labelled images, listed for training: its files planned and their schemas checked on the driver
 * ({@link ParquetImageTable}: {@code path} and/or {@code content}, a string {@code label}, optionally a string
 * {@code split}), then one task per row group reads its {@code label} and {@code split} cells (never the images) and
 * the driver gathers every row's class and split. The classes are the labels' distinct values in the order an image
 * folder's class sub-folders sort in (by their UTF-8 bytes). A row without a usable label or split is skipped, counted
 * and named in the log; it never fails the run.
 */
final class TrainingTable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingTable.class);

    /** The most rows a table may declare: the driver holds each row's class and place. */
    static final long MAX_ROWS = 1L << 26;
    /** The most classes: each is a row of the classifier. */
    static final int MAX_CLASSES = 100_000;
    /** The longest class name or split read. */
    static final int MAX_LABEL_BYTES = 1024;
    /** The largest page of labels or splits decompressed whole (snappy, dictionaries): a million short labels. */
    static final long MAX_LABEL_PAGE_BYTES = 64 << 20;
    /** Skipped rows named in the log; the rest are counted. */
    private static final int NAMED = 20;

    private static final byte TRAIN = 0;
    private static final byte TEST = 1;
    private static final byte UNSPLIT = 2;
    private static final byte SKIPPED = -1;

    private TrainingTable() {}

    /**
     * One row group's labels: each row's class, as an index into {@code names} (the group's distinct labels in order of
     * first appearance), and its split; {@code SKIPPED} rows with the first few reasons.
     */
    record Labels(int slice, String[] names, int[] classes, byte[] splits, long skipped, List<String> problems)
            implements Serializable {}

    /**
     * The table at {@code input} split for training: by its {@code split} column when it has one, otherwise a held-out
     * fraction of its rows chosen by {@code seed}, as {@code train} holds out a fraction of a folder's images.
     *
     * @param size the images' height and width as the model takes them
     */
    static DatasetSplits splits(
            SparkSession spark,
            String input,
            int channels,
            int size,
            ResizeAndCrop resizeAndCrop,
            double holdout,
            long seed,
            long maxImageBytes)
            throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        List<ParquetImageTable.Slice> slices =
                ParquetImageTable.plan(input, hadoop, ParquetImageTable::checkTrainingSchema);
        checkRows(input, slices);
        if (slices.isEmpty()) {
            throw new IllegalArgumentException(input + ": the table has no rows");
        }
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < slices.size(); i++) {
            indices.add(i);
        }
        List<ParquetImageTable.Slice> planned = List.copyOf(slices);
        // Fetched a partition at a time, each row group's names shared with the ones seen before: compressed labels
        // of a small file could otherwise fill the driver before the class count is checked.
        java.util.Iterator<Labels> fetched = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(
                        indices,
                        Math.max(1, Math.min(slices.size(), spark.sparkContext().defaultParallelism() * 4)))
                .map(i -> read(i, planned.get(i), ExecutorHadoop.configuration()))
                .toLocalIterator();
        List<Labels> listed = new ArrayList<>();
        Map<String, String> seen = new java.util.HashMap<>();
        while (fetched.hasNext()) {
            listed.add(shareNames(input, fetched.next(), seen));
        }
        listed.sort(java.util.Comparator.comparingInt(Labels::slice));
        return gather(input, planned, listed, channels, size, resizeAndCrop, holdout, seed, hadoop, maxImageBytes);
    }

    /**
     * {@code labels} with each class name replaced by the equal one {@code seen} already holds, so that a name many
     * row groups repeat is held once; refuses the table once the names seen pass {@link #MAX_CLASSES}.
     */
    static Labels shareNames(String input, Labels labels, Map<String, String> seen) {
        String[] names = labels.names().clone();
        for (int i = 0; i < names.length; i++) {
            names[i] = seen.computeIfAbsent(names[i], n -> n);
            if (seen.size() > MAX_CLASSES) {
                throw new IllegalArgumentException(input + ": more than " + MAX_CLASSES + " distinct labels");
            }
        }
        return new Labels(
                labels.slice(), names, labels.classes(), labels.splits(), labels.skipped(), labels.problems());
    }

    /**
     * Refuses a table declaring more rows than the driver holds. Each file declares its row groups' rows, and many
     * declared near 2^63 would wrap a plain sum around to a small one: the sum stops counting past the limit.
     */
    static void checkRows(String input, List<ParquetImageTable.Slice> slices) {
        long declared = 0;
        for (ParquetImageTable.Slice slice : slices) {
            declared = Math.min(MAX_ROWS + 1, declared + Math.min(slice.rows(), MAX_ROWS + 1));
        }
        if (declared > MAX_ROWS) {
            throw new IllegalArgumentException(input + ": declares more than " + MAX_ROWS + " rows; spark-train takes "
                    + "at most " + MAX_ROWS + " images from a table (the driver holds each image's class and place)");
        }
    }

    /** The driver's half: classes sorted, rows in table order, skipped rows reported, the splits made. */
    static DatasetSplits gather(
            String input,
            List<ParquetImageTable.Slice> slices,
            List<Labels> listed,
            int channels,
            int size,
            ResizeAndCrop resizeAndCrop,
            double holdout,
            long seed,
            Configuration hadoop,
            long maxImageBytes)
            throws IOException {
        java.util.TreeSet<String> distinct = new java.util.TreeSet<>(TrainingTable::compareAsFolders);
        long skipped = 0;
        List<String> problems = new ArrayList<>();
        boolean hasSplit = false;
        boolean unsplit = false;
        for (Labels labels : listed) {
            distinct.addAll(Arrays.asList(labels.names()));
            if (distinct.size() > MAX_CLASSES) {
                throw new IllegalArgumentException(input + ": more than " + MAX_CLASSES + " distinct labels");
            }
            skipped += labels.skipped();
            for (String p : labels.problems()) {
                if (problems.size() < NAMED) {
                    problems.add(p);
                }
            }
            for (byte s : labels.splits()) {
                hasSplit |= s == TRAIN || s == TEST;
                unsplit |= s == UNSPLIT;
            }
        }
        for (String p : problems) {
            LOG.warn("skipped: {}", TerminalText.escape(p)); // a table's text: it may hold terminal controls
        }
        if (skipped > 0) {
            LOG.warn(
                    "skipped {} row(s) of {} without a usable label or split{}",
                    skipped,
                    input,
                    skipped > NAMED ? " (the first " + NAMED + " named above)" : "");
        }
        if (hasSplit && unsplit) {
            throw new IllegalArgumentException(input + ": some of its files have a 'split' column and some do not");
        }
        List<String> classNames = List.copyOf(distinct);
        if (classNames.size() < 2) {
            throw new IllegalArgumentException(input + ": found " + classNames.size() + " distinct label(s) "
                    + classNames + "; a classifier needs at least 2");
        }
        Map<String, Integer> classOf = new HashMap<>();
        for (int c = 0; c < classNames.size(); c++) {
            classOf.put(classNames.get(c), c);
        }
        List<ImageRef> refs = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<Integer> train = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        for (Labels l : listed) {
            ParquetImageTable.Slice slice = slices.get(l.slice());
            for (int r = 0; r < l.classes().length; r++) {
                if (l.splits()[r] == SKIPPED) {
                    continue;
                }
                (l.splits()[r] == TEST ? test : train).add(refs.size());
                refs.add(ImageRef.row(slice, r));
                labels.add(classOf.get(l.names()[l.classes()[r]]));
            }
        }
        if (refs.isEmpty()) {
            throw new IllegalArgumentException(input + ": no row has a usable label");
        }
        TableImages all = new TableImages(
                input,
                refs.toArray(ImageRef[]::new),
                labels.stream().mapToInt(Integer::intValue).toArray(),
                classNames,
                channels,
                size,
                resizeAndCrop,
                hadoop,
                maxImageBytes);
        if (!hasSplit) {
            return DatasetSplits.heldOut(input, all, holdout, seed);
        }
        if (train.isEmpty() || test.isEmpty()) {
            throw new IllegalArgumentException(input + ": its 'split' column gives " + train.size() + " training and "
                    + test.size() + " test rows; both are needed");
        }
        return new DatasetSplits(
                input,
                new SubsetDataset(
                        all, train.stream().mapToInt(Integer::intValue).toArray()),
                new SubsetDataset(all, test.stream().mapToInt(Integer::intValue).toArray()));
    }

    /** Class names in the order an image folder's sub-folders sort in: by their UTF-8 bytes, unsigned. */
    static int compareAsFolders(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /** An executor's half: one row group's label and split cells, read within the limits. */
    static Labels read(int index, ParquetImageTable.Slice slice, Configuration hadoop) {
        int rows = Math.toIntExact(slice.rows());
        int[] classes = new int[rows];
        byte[] splits = new byte[rows];
        Map<String, Integer> names = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        long skipped = 0;
        int row = 0;
        SeekableInputStream labelStream = null;
        SeekableInputStream splitStream = null;
        try {
            ParquetImageTable.OpenedSlice opened = ParquetImageTable.open(
                    slice, hadoop, schema -> ParquetImageTable.checkTrainingSchema(slice.file(), schema));
            FileStatus status = opened.status();
            MessageType schema = opened.schema();
            BlockMetaData group = opened.group();
            HadoopInputFile input = opened.input(hadoop);
            labelStream = input.newStream();
            CappedBinaryColumn labels = ParquetSliceReader.column(
                    labelStream, status, group, schema, "label", rows, MAX_LABEL_BYTES, MAX_LABEL_PAGE_BYTES);
            CappedBinaryColumn splitColumn = null;
            if (schema.containsField("split")) {
                splitStream = input.newStream();
                splitColumn = ParquetSliceReader.column(
                        splitStream, status, group, schema, "split", rows, MAX_LABEL_BYTES, MAX_LABEL_PAGE_BYTES);
            }
            for (; row < rows; row++) {
                CappedBinaryColumn.Cell label = labels.next();
                CappedBinaryColumn.Cell split = splitColumn == null ? null : splitColumn.next();
                String name = text(label);
                String problem = problem(label, name, "label");
                byte part = UNSPLIT;
                if (problem == null && split != null) {
                    String value = text(split);
                    problem = problem(split, value, "split");
                    if (problem == null && !value.equals("train") && !value.equals("test")) {
                        problem = "split '" + abbreviate(value) + "' is neither train nor test";
                    }
                    part = "test".equals(value) ? TEST : TRAIN;
                }
                if (problem != null) {
                    splits[row] = SKIPPED;
                    skipped++;
                    if (problems.size() < NAMED) {
                        problems.add("row " + (slice.firstRow() + row) + " of " + slice.file() + ": " + problem);
                    }
                    continue;
                }
                Integer c = names.get(name);
                if (c == null) {
                    c = names.size();
                    names.put(name, c);
                    if (names.size() > MAX_CLASSES) {
                        // The driver refuses a table of this many classes: the rest is not worth reading.
                        Arrays.fill(splits, row, rows, SKIPPED);
                        break;
                    }
                }
                classes[row] = c;
                splits[row] = part;
            }
            labels.closePage();
            if (splitColumn != null) {
                splitColumn.closePage();
            }
        } catch (IOException | RuntimeException e) {
            // The rest of the row group cannot be trusted: its rows are skipped, in one line.
            Arrays.fill(splits, row, rows, SKIPPED);
            skipped += rows - row;
            problems.add("rows " + (slice.firstRow() + row) + "-" + (slice.firstRow() + rows - 1) + " (row group "
                    + slice.rowGroup() + ") of " + slice.file() + " not read: " + ParquetImageTable.oneLine(e));
        } finally {
            closeQuietly(labelStream);
            closeQuietly(splitStream);
        }
        return new Labels(index, names.keySet().toArray(String[]::new), classes, splits, skipped, problems);
    }

    /**
     * A cell's text, or null for a cell without bytes or whose bytes are not UTF-8: decoded leniently, two different
     * malformed labels would both become U+FFFD, one class.
     */
    private static String text(CappedBinaryColumn.Cell cell) {
        if (cell.bytes() == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(ByteBuffer.wrap(cell.bytes()))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String problem(CappedBinaryColumn.Cell cell, String text, String column) {
        if (cell.problem() != null) {
            return cell.problem();
        }
        if (cell.bytes() == null) {
            return "no " + column + " (null)";
        }
        return text == null ? "the " + column + " is not UTF-8 text" : null;
    }

    private static String abbreviate(String value) {
        return value.length() > 40 ? value.substring(0, 40) + "..." : value;
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // read-only streams: nothing is lost
            }
        }
    }
}
