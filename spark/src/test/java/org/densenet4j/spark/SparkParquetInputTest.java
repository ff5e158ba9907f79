package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.io.ModelFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * spark-classify on Parquet tables as an attacker writes them: cells over --max-image-bytes, null and missing paths,
 * wrong schemas, files that are not Parquet, malformed pages. Each is an error row or a one-line error, never a
 * stack trace, and a cell over the limit is never held in memory. One local Spark session for the class.
 */
class SparkParquetInputTest {

    private static final long LIMIT = 1 << 20;
    private static final Path SAMPLES = Path.of("../models/fashion-mnist/samples");

    private static SparkSession spark;
    /** What `predict` answers for each sample, by file name. */
    private static final Map<String, String> EXPECTED = new HashMap<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder().master("local[2]").getOrCreate();
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageClassifier predict = new ImageClassifier(ModelFiles.open(SparkClassifyTest.BUNDLED, manager), manager);
            for (int i = 0; i < 4; i++) {
                Path sample = SAMPLES.resolve("test-" + i + ".png");
                EXPECTED.put(
                        "test-" + i + ".png",
                        predict.classify(ImageFiles.read(sample)).best().getClassName());
            }
        }
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static Stream<Arguments> layouts() {
        return Stream.of(
                Arguments.of(HostileTables.Layout.of(CompressionCodecName.ZSTD)), // streamed
                Arguments.of(HostileTables.Layout.of(CompressionCodecName.GZIP)), // streamed
                Arguments.of(HostileTables.Layout.of(CompressionCodecName.UNCOMPRESSED)), // streamed
                Arguments.of(HostileTables.Layout.of(CompressionCodecName.SNAPPY)), // whole pages
                Arguments.of(new HostileTables.Layout( // as Spark writes: dictionary first, v1 pages
                        CompressionCodecName.SNAPPY, true, ParquetProperties.WriterVersion.PARQUET_1_0)),
                Arguments.of(new HostileTables.Layout(
                        CompressionCodecName.SNAPPY, true, ParquetProperties.WriterVersion.PARQUET_2_0)));
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void cellsOverTheLimitNullAndMissingPathsAreErrorRowsAndTheJobGoesOn(HostileTables.Layout layout) throws Exception {
        Path table = tmp.resolve("images.parquet");
        String fromDisk = SAMPLES.resolve("test-3.png").toAbsolutePath().toString();
        List<Object[]> rows = new ArrayList<>();
        rows.add(new Object[] {"test-0.png", sample(0)});
        rows.add(new Object[] {"zeros.png", new byte[3 << 20]}); // three times the limit, in the same page
        rows.add(new Object[] {"test-1.png", sample(1)});
        rows.add(new Object[] {null, sample(2)});
        rows.add(new Object[] {tmp.resolve("missing.png").toString(), null});
        rows.add(new Object[] {fromDisk, null});
        rows.add(new Object[] {null, null});
        HostileTables.write(table, HostileTables.IMAGES, layout, rows);

        Run run = run(table.toString());
        assertEquals(0, run.exit(), run.err());
        assertEquals(7, run.rows().size());
        Map<String, Row> byPath = new HashMap<>();
        List<Row> withoutPath = new ArrayList<>();
        for (Row row : run.rows()) {
            if (row.isNullAt(0)) {
                withoutPath.add(row);
            } else {
                byPath.put(row.getString(0), row);
            }
        }
        for (String name : List.of("test-0.png", "test-1.png")) {
            assertClassified(byPath.get(name), name);
        }
        assertClassified(byPath.get(fromDisk), "test-3.png");
        assertEquals(
                "content cell of 3145728 bytes is over the limit of 1048576 bytes (--max-image-bytes)",
                byPath.get("zeros.png").getString(3));
        assertNotNull(byPath.get(tmp.resolve("missing.png").toString()).getString(3));
        assertEquals(2, withoutPath.size());
        for (Row row : withoutPath) {
            assertTrue(row.getString(3).matches("row [36] of .*images.parquet has a null path"), row.getString(3));
        }
    }

    @Test
    void aCellFarBeyondTheLimitIsJudgedByItsPageHeaderAndNeverRead() throws Exception {
        Path table = tmp.resolve("giant.parquet");
        long zeros = 2_000_000_000L;
        HostileTables.zeroCells(table, 2, zeros);
        assertTrue(Files.size(table) < 1 << 20, "a tiny file: " + Files.size(table));

        // On this thread, as an executor reads it: bytes allocated while reading both cells, far below one cell.
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<ParquetImageTable.Slice> slices = ParquetImageTable.plan(table.toString(), new Configuration());
        assertEquals(1, slices.size());
        long before = threads.getCurrentThreadAllocatedBytes();
        Iterator<ImageCell> cells = ParquetSliceReader.open(slices.get(0), new Configuration(), LIMIT, 4 * LIMIT);
        List<ImageCell> read = new ArrayList<>();
        cells.forEachRemaining(read::add);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 16 << 20, "allocated " + allocated + " bytes reading two 2 GB cells");
        assertEquals(2, read.size());
        for (ImageCell cell : read) {
            assertNull(cell.content());
            assertEquals(
                    "content cell of about " + (zeros + 4) + " bytes is over the limit of 1048576 bytes "
                            + "(--max-image-bytes)",
                    cell.problem());
        }

        Run run = run(table.toString());
        assertEquals(1, run.exit(), "every image failed: " + run.err()); // as for a folder of broken images
        assertEquals(2, run.rows().size());
        assertTrue(run.rows().stream().allMatch(r -> r.getString(3).contains("over the limit")));
    }

    @Test
    void aTableWrittenBySparkIsClassifiedAsPredictDoes() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        for (int i = 0; i < 4; i++) {
            Files.copy(SAMPLES.resolve("test-" + i + ".png"), images.resolve("test-" + i + ".png"));
        }
        Path table = tmp.resolve("spark-written");
        spark.read()
                .format("binaryFile")
                .load(images.toString())
                .repartition(2)
                .write()
                .parquet(table.toString()); // path, modificationTime, length, content; two files, snappy
        Run run = run(table.toString(), "--input-format", "parquet");
        assertEquals(0, run.exit(), run.err());
        assertEquals(4, run.rows().size());
        for (Row row : run.rows()) {
            assertClassified(row, Path.of(row.getString(0)).getFileName().toString());
        }
    }

    @Test
    void anImageFileOverTheLimitIsAnErrorRowJudgedByItsLength() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        Files.copy(SAMPLES.resolve("test-0.png"), images.resolve("test-0.png"));
        Files.write(images.resolve("big.png"), new byte[2 << 20]);
        Run run = run(images.toString());
        assertEquals(0, run.exit(), run.err());
        assertEquals(2, run.rows().size());
        for (Row row : run.rows()) {
            if (row.getString(0).endsWith("test-0.png")) {
                assertNull(row.getString(3));
                assertEquals(EXPECTED.get("test-0.png"), row.getList(1).get(0));
            } else {
                assertEquals(
                        row.getString(0) + ": file of 2097152 bytes is over the limit of 1048576 bytes "
                                + "(--max-image-bytes)",
                        row.getString(3));
            }
        }
    }

    static Stream<Arguments> wrongSchemas() {
        return Stream.of(
                Arguments.of(
                        "message t { optional binary name (STRING); }", "needs a 'path' column (string), has [name]"),
                Arguments.of("message t { optional int32 path; }", "column 'path' is int32, expected a string"),
                Arguments.of("message t { repeated binary path (STRING); }", "column 'path' is a repeated binary"),
                Arguments.of(
                        "message t { optional group path (LIST) { repeated group list { optional binary element "
                                + "(STRING); } } }",
                        "column 'path' is a group (struct, list or map), expected a string"),
                Arguments.of(
                        "message t { optional binary path (STRING); optional int64 content; }",
                        "column 'content' is int64, expected binary"),
                Arguments.of(
                        "message t { optional binary path (STRING); optional group content { optional binary b; } }",
                        "column 'content' is a group (struct, list or map), expected binary"));
    }

    @ParameterizedTest
    @MethodSource("wrongSchemas")
    void aWrongSchemaIsOneLineNamingTheColumnItsTypeAndTheExpectedOne(String schema, String expected) throws Exception {
        Path table = tmp.resolve("wrong.parquet");
        HostileTables.write(
                table,
                MessageTypeParser.parseMessageType(schema),
                HostileTables.Layout.of(CompressionCodecName.SNAPPY),
                List.of());
        Run run = run(table.toString());
        assertEquals(2, run.exit(), run.err());
        assertOneLine(run.err(), expected);
    }

    @Test
    void filesThatAreNotReadableParquetAreOneLineErrorsNamingTheFile() throws Exception {
        Path good = tmp.resolve("good.parquet");
        HostileTables.write(
                good,
                HostileTables.IMAGES,
                HostileTables.Layout.of(CompressionCodecName.SNAPPY),
                List.<Object[]>of(new Object[] {"test-0.png", sample(0)}));
        byte[] valid = Files.readAllBytes(good);

        Path text = tmp.resolve("text.parquet");
        Files.writeString(text, "path,content\nx.png,\n");
        assertFails(text.toString(), text + ": not a Parquet file (no PAR1 at its end)");

        Path truncated = tmp.resolve("truncated.parquet");
        Files.write(truncated, Arrays.copyOf(valid, valid.length / 2));
        assertFails(truncated.toString(), truncated + ": not a Parquet file");

        Path hugeFooter = tmp.resolve("huge-footer.parquet");
        byte[] bytes = valid.clone();
        bytes[bytes.length - 5] = 0x7f; // the footer's length: about 2 GB
        Files.write(hugeFooter, bytes);
        assertFails(hugeFooter.toString(), hugeFooter + ": corrupt Parquet file: its footer claims");

        Path garbledFooter = tmp.resolve("garbled-footer.parquet");
        bytes = valid.clone();
        int footerLength = java.nio.ByteBuffer.wrap(bytes, bytes.length - 8, 4)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getInt();
        Arrays.fill(bytes, bytes.length - 8 - footerLength, bytes.length - 8, (byte) 0xff);
        Files.write(garbledFooter, bytes);
        assertFails(garbledFooter.toString(), garbledFooter + ": corrupt Parquet footer");

        Path mixed = Files.createDirectories(tmp.resolve("mixed"));
        Files.copy(good, mixed.resolve("part-0.parquet"));
        Files.writeString(mixed.resolve("notes.txt"), "not a table");
        Files.writeString(mixed.resolve("_SUCCESS"), ""); // Spark's marker: skipped, as Spark skips it
        assertFails(mixed.toString(), "notes.txt: not a Parquet file");

        assertFails(Files.createDirectories(tmp.resolve("empty")).toString(), "no Parquet files in this directory");
        assertFails(tmp.resolve("nowhere.parquet").toString(), "nowhere.parquet: no such file or directory");
    }

    @Test
    void aMalformedPageIsOneErrorRowForItsRowsAndTheOtherFilesAreClassified() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("table"));
        List<Object[]> rows = List.of(new Object[] {"test-0.png", sample(0)}, new Object[] {"test-1.png", sample(1)});
        HostileTables.Layout plain = HostileTables.Layout.of(CompressionCodecName.UNCOMPRESSED);
        HostileTables.write(dir.resolve("part-0.parquet"), HostileTables.IMAGES, plain, rows);
        Path broken = dir.resolve("part-1.parquet");
        HostileTables.write(broken, HostileTables.IMAGES, plain, rows);
        long contentStart = org.apache.parquet.hadoop.ParquetFileReader.readFooter(
                        org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
                                new org.apache.hadoop.fs.Path(broken.toUri()), new Configuration()),
                        org.apache.parquet.format.converter.ParquetMetadataConverter.NO_FILTER)
                .getBlocks()
                .get(0)
                .getColumns()
                .get(1)
                .getStartingPos();
        try (RandomAccessFile file = new RandomAccessFile(broken.toFile(), "rw")) {
            file.seek(contentStart);
            file.write(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        }
        Run run = run(dir.toString(), "--input-format", "parquet");
        assertEquals(0, run.exit(), run.err());
        assertEquals(3, run.rows().size());
        long classified = run.rows().stream().filter(r -> r.isNullAt(3)).count();
        assertEquals(2, classified);
        Row error = run.rows().stream().filter(r -> !r.isNullAt(3)).findFirst().orElseThrow();
        assertTrue(error.getString(0).endsWith("part-1.parquet"), error.getString(0));
        assertTrue(
                error.getString(3)
                        .matches("rows 0-1 \\(row group 0\\) of .*part-1.parquet not read: content page "
                                + "header at byte \\d+ is malformed.*"),
                error.getString(3));
    }

    @Test
    void aTableWithoutRowsGivesAnEmptyResult() throws Exception {
        Path table = tmp.resolve("empty.parquet");
        HostileTables.write(table, HostileTables.IMAGES, HostileTables.Layout.of(CompressionCodecName.ZSTD), List.of());
        Run run = run(table.toString());
        assertEquals(0, run.exit(), run.err());
        assertEquals(0, run.rows().size());
    }

    @Test
    void aModelFileAnExecutorCannotFindFailsBeforeTheJobInOneLine() throws Exception {
        Path table = tmp.resolve("images.parquet");
        HostileTables.write(
                table,
                HostileTables.IMAGES,
                HostileTables.Layout.of(CompressionCodecName.SNAPPY),
                List.<Object[]>of(new Object[] {"test-0.png", sample(0)}));
        Run run =
                run(table.toString(), "--checkpoint", tmp.resolve("absent.d4j").toString());
        assertEquals(1, run.exit());
        assertOneLine(
                run.err(), "absent.d4j: checkpoint not found on this executor; ship it with spark-submit --files");
        assertFalse(Files.exists(tmp.resolve("out.parquet")), "the classifying job never ran");
    }

    /** The command as users run it, in a JVM of its own: everything it prints on stderr is one line. */
    @Test
    void anIntegerPathColumnPrintsOneLineAndNoTraceFromTheLauncher() throws Exception {
        Path table = tmp.resolve("ints.parquet");
        HostileTables.write(
                table,
                MessageTypeParser.parseMessageType("message t { optional int32 path; }"),
                HostileTables.Layout.of(CompressionCodecName.SNAPPY),
                List.<Object[]>of(new Object[] {7}));
        List<String> command = new ArrayList<>(childJava());
        command.addAll(List.of(
                SparkClassify.class.getName(),
                "--master",
                "local[1]",
                "--input",
                table.toString(),
                "--output",
                tmp.resolve("out.parquet").toString()));
        Process child = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String err = new String(child.getErrorStream().readAllBytes());
        assertEquals(2, child.waitFor(), err);
        // Before it, only the warnings Spark prints at start-up on this machine (host name, native libraries).
        List<String> lines = err.strip().lines().toList();
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception")), err);
        assertEquals(
                "densenet4j spark-classify: file:" + table + ": column 'path' is int32, expected a string (binary, "
                        + "UTF8)",
                lines.get(lines.size() - 1));
    }

    /** A JVM like this one: its classpath, and the opens Spark needs on Java 17. */
    static List<String> childJava() {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx1g");
        command.add("-Dai.djl.offline=true");
        for (String p : List.of(
                "java.lang",
                "java.lang.invoke",
                "java.lang.reflect",
                "java.io",
                "java.net",
                "java.nio",
                "java.util",
                "java.util.concurrent",
                "java.util.concurrent.atomic",
                "sun.nio.ch",
                "sun.nio.cs",
                "sun.security.action",
                "sun.util.calendar")) {
            command.add("--add-opens=java.base/" + p + "=ALL-UNNAMED");
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        return command;
    }

    private void assertFails(String input, String expected) throws Exception {
        Run run = run(input, "--input-format", "parquet");
        assertEquals(1, run.exit(), run.err());
        assertOneLine(run.err(), expected);
    }

    private static void assertOneLine(String err, String expected) {
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.contains(expected), err);
    }

    private static void assertClassified(Row row, String sample) {
        assertNotNull(row, sample);
        assertNull(row.getString(3), sample);
        assertEquals(EXPECTED.get(sample), row.getList(1).get(0), sample);
    }

    private static byte[] sample(int i) throws IOException {
        return Files.readAllBytes(SAMPLES.resolve("test-" + i + ".png"));
    }

    record Run(int exit, String err, List<Row> rows) {}

    /** Runs the command with a 1 MiB limit on this class's Spark session, and reads back what it wrote. */
    private Run run(String input, String... more) {
        Path out = tmp.resolve("out.parquet");
        List<String> args = new ArrayList<>(List.of(
                "--input",
                input,
                "--output",
                out.toString(),
                "--max-image-bytes",
                Long.toString(LIMIT),
                "--batch-size",
                "2"));
        if (!List.of(more).contains("--checkpoint")) {
            args.addAll(List.of("--checkpoint", SparkClassifyTest.BUNDLED.toString()));
        }
        args.addAll(List.of(more));
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = SparkClassify.commandLine(new SparkClassify());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int exit = cl.execute(args.toArray(String[]::new));
        List<Row> rows =
                Files.exists(out) ? spark.read().parquet(out.toString()).collectAsList() : List.of();
        if (Files.exists(out)) {
            deleteTree(out);
        }
        return new Run(exit, err.toString(), rows);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
