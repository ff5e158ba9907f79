package org.densenet4j.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * A Parquet table of images as the driver plans it: every file's footer read (its length checked against the file
 * first), its schema checked (a string {@code path}, optionally a binary {@code content}, both top-level and not
 * repeated), and its row groups listed as the units executors read with {@link ParquetSliceReader}. Spark's own
 * Parquet source is not used for images: it materialises whole cells and pages before anyone can look at their size.
 */
final class ParquetImageTable {

    /** A footer longer than this is refused before it is read: real footers are kilobytes. */
    static final int MAX_FOOTER_BYTES = 64 << 20;

    /**
     * The most column chunks (row groups x columns) a footer may list: real tables have thousands. Parsed, each takes
     * hundreds of bytes, so a footer of many tiny row groups or columns could otherwise take many times its stored size.
     */
    static final long MAX_COLUMN_CHUNKS = 1 << 20;

    /** The parsed size charged for each column chunk a held footer lists, on top of its stored size. */
    static final long COLUMN_CHUNK_BYTES = 256;

    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    /** One row group of one file: what one executor reads at a time. */
    record Slice(String file, int rowGroup, long firstRow, long rows) implements java.io.Serializable {}

    private ParquetImageTable() {}

    /**
     * The row groups of the table at {@code input}: a Parquet file, or a directory of them (searched recursively;
     * names starting with {@code _} or {@code .} are skipped, as Spark skips them).
     *
     * @throws IllegalArgumentException when a file's schema is not a table of images (named, with the column's
     *     type and the expected one)
     * @throws IOException when the input is missing or empty, or a file is not a readable Parquet file (named)
     */
    static List<Slice> plan(String input, Configuration hadoop) throws IOException {
        return plan(input, hadoop, ParquetImageTable::checkSchema);
    }

    /**
     * As {@link #plan(String, Configuration)}, checking each file's schema with {@code schemaCheck} (which throws an
     * {@link IllegalArgumentException} naming the file).
     */
    static List<Slice> plan(
            String input, Configuration hadoop, java.util.function.BiConsumer<String, MessageType> schemaCheck)
            throws IOException {
        Path root = new Path(input);
        FileSystem fs = root.getFileSystem(hadoop);
        FileStatus status;
        try {
            status = fs.getFileStatus(root);
        } catch (FileNotFoundException e) {
            throw new IOException(input + ": no such file or directory");
        }
        List<FileStatus> files = new ArrayList<>();
        collect(fs, status, files, new java.util.HashSet<>());
        if (files.isEmpty()) {
            throw new IOException(input + ": no Parquet files in this directory");
        }
        List<Slice> slices = new ArrayList<>();
        for (FileStatus file : files) {
            String name = file.getPath().toString();
            ParquetMetadata footer = footer(file, hadoop, schema -> schemaCheck.accept(name, schema));
            long firstRow = 0;
            List<BlockMetaData> groups = footer.getBlocks();
            for (int g = 0; g < groups.size(); g++) {
                long rows = groups.get(g).getRowCount();
                if (rows < 0) {
                    throw new IOException(file.getPath() + ": row group " + g + " declares " + rows + " rows");
                }
                if (rows > 0) {
                    slices.add(new Slice(file.getPath().toString(), g, firstRow, rows));
                }
                firstRow += rows;
            }
        }
        return slices;
    }

    /**
     * The file itself, or the files under a directory in name order, skipping Spark's hidden names (_SUCCESS, .crc).
     * A directory is listed once: through a symbolic link to itself it would nest 40 deep, and through two, 2^40.
     *
     * @param listed the directories listed so far, by {@link #identity}
     */
    private static void collect(FileSystem fs, FileStatus status, List<FileStatus> into, java.util.Set<String> listed)
            throws IOException {
        if (status.isFile()) {
            into.add(status);
            return;
        }
        if (!listed.add(identity(fs, status.getPath()))) {
            return;
        }
        FileStatus[] children = fs.listStatus(status.getPath());
        // In name order: file systems list in any order, and a table's row order decides its held-out rows.
        java.util.Arrays.sort(
                children, java.util.Comparator.comparing(c -> c.getPath().getName()));
        for (FileStatus child : children) {
            String name = child.getPath().getName();
            if (!name.startsWith("_") && !name.startsWith(".")) {
                collect(fs, child, into, listed);
            }
        }
    }

    /** A directory's identity: on the local disk its real path (symbolic links resolved), elsewhere its path. */
    private static String identity(FileSystem fs, Path dir) throws IOException {
        java.nio.file.Path local = LocalPaths.of(fs, dir);
        return local == null ? dir.toString() : local.toRealPath().toString();
    }

    /**
     * A file's footer, checked, and what holding it costs: its size as stored in the file and {@link
     * #COLUMN_CHUNK_BYTES} for each column chunk it lists.
     */
    record Footer(ParquetMetadata metadata, long bytes) {}

    /**
     * The row group a slice planned, opened for reading: the file as it is now, its schema and the group's metadata.
     *
     * @param status the file as it is now
     * @param schema its schema, checked by the reader's check
     * @param group the slice's row group
     */
    record OpenedSlice(FileStatus status, MessageType schema, BlockMetaData group) {
        /** The file, for reading its column chunks. */
        HadoopInputFile input(Configuration hadoop) throws IOException {
            return HadoopInputFile.fromStatus(status, hadoop);
        }
    }

    /**
     * {@code slice}'s row group through the file's footer ({@link #footer}, checked by {@code schemaCheck}).
     *
     * @throws IOException if the file no longer holds the row group the job planned (then its footer is forgotten,
     *     so that a file rewritten with its length and modification time kept is read again next time)
     */
    static OpenedSlice open(Slice slice, Configuration hadoop, java.util.function.Consumer<MessageType> schemaCheck)
            throws IOException {
        Path file = new Path(slice.file());
        FileStatus status = file.getFileSystem(hadoop).getFileStatus(file);
        ParquetMetadata footer = footer(status, hadoop, schemaCheck);
        if (slice.rowGroup() >= footer.getBlocks().size()
                || footer.getBlocks().get(slice.rowGroup()).getRowCount() != slice.rows()) {
            FooterCache.SHARED.forget(status);
            throw new IOException("the file changed since the job started");
        }
        return new OpenedSlice(
                status, footer.getFileMetaData().getSchema(), footer.getBlocks().get(slice.rowGroup()));
    }

    /**
     * A file's footer, checked as {@link #readFooter} checks it and by {@code schemaCheck} (which throws an {@link
     * IllegalArgumentException} naming the file): read once per JVM for the file as it is now (its length and
     * modification time), then served from {@link FooterCache#SHARED}.
     */
    static ParquetMetadata footer(
            FileStatus file, Configuration hadoop, java.util.function.Consumer<MessageType> schemaCheck)
            throws IOException {
        return FooterCache.SHARED.footer(file, hadoop, schemaCheck);
    }

    /**
     * Reads a file's footer, only once its length, declared in the file's last eight bytes, is known to fit in the
     * file and under {@link #MAX_FOOTER_BYTES}; refused if it lists more than {@link #MAX_COLUMN_CHUNKS} column
     * chunks.
     */
    static Footer readFooter(FileStatus file, Configuration hadoop) throws IOException {
        return readFooter(file, hadoop, MAX_COLUMN_CHUNKS);
    }

    /** As {@link #readFooter(FileStatus, Configuration)}, with at most {@code maxChunks} column chunks. */
    static Footer readFooter(FileStatus file, Configuration hadoop, long maxChunks) throws IOException {
        String name = file.getPath().toString();
        long length = file.getLen();
        if (length < 12) {
            throw new IOException(name + ": not a Parquet file (" + length + " bytes)");
        }
        HadoopInputFile in = HadoopInputFile.fromStatus(file, hadoop);
        long footerLength;
        try (SeekableInputStream stream = in.newStream()) {
            byte[] tail = new byte[8];
            stream.seek(length - 8);
            stream.readFully(tail);
            if (tail[4] != MAGIC[0] || tail[5] != MAGIC[1] || tail[6] != MAGIC[2] || tail[7] != MAGIC[3]) {
                throw new IOException(name + ": not a Parquet file (no PAR1 at its end"
                        + (tail[7] == 'E' ? "; encrypted footers are not supported" : "") + ")");
            }
            footerLength = Integer.toUnsignedLong(
                    ByteBuffer.wrap(tail, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
            if (footerLength > length - 12 || footerLength > MAX_FOOTER_BYTES) {
                throw new IOException(name + ": corrupt Parquet file: its footer claims " + footerLength
                        + " bytes, the file has " + length + " (limit " + MAX_FOOTER_BYTES + ")");
            }
        }
        ParquetMetadata footer;
        try {
            footer = ParquetFileReader.readFooter(in, ParquetMetadataConverter.NO_FILTER);
        } catch (IOException | RuntimeException e) {
            throw new IOException(name + ": corrupt Parquet footer: " + oneLine(e), e);
        }
        long chunks = 0;
        for (BlockMetaData group : footer.getBlocks()) {
            chunks += group.getColumns().size();
        }
        if (chunks > maxChunks) {
            throw new IOException(name + ": its footer lists " + chunks + " column chunks ("
                    + footer.getBlocks().size() + " row groups), more than the " + maxChunks
                    + " a table file may have");
        }
        return new Footer(footer, footerLength + chunks * COLUMN_CHUNK_BYTES);
    }

    /** Checks that a file's schema is a table of images to classify: a path, and maybe the image's bytes. */
    static void checkSchema(String file, MessageType schema) {
        if (!schema.containsField("path")) {
            throw new IllegalArgumentException(
                    file + ": the Parquet input needs a 'path' column (string), has " + columns(schema));
        }
        checkImageColumns(file, schema);
    }

    /** Checks a table's image columns: a string {@code path}, a binary {@code content}, or both. */
    static void checkImageColumns(String file, MessageType schema) {
        if (!schema.containsField("path") && !schema.containsField("content")) {
            throw new IllegalArgumentException(file + ": the Parquet input needs a 'path' column (string) or a "
                    + "'content' column (binary), has " + columns(schema));
        }
        if (schema.containsField("path")) {
            checkBinary(file, schema.getType("path"), true);
        }
        if (schema.containsField("content")) {
            checkBinary(file, schema.getType("content"), false);
        }
    }

    /**
     * Checks that a file's schema is a table of labelled images: its image columns, a string {@code label} (the class
     * name) and optionally a string {@code split} (train or test).
     */
    static void checkTrainingSchema(String file, MessageType schema) {
        checkImageColumns(file, schema);
        if (!schema.containsField("label")) {
            throw new IllegalArgumentException(file + ": a table to train on needs a 'label' column (string: the class "
                    + "name), has " + columns(schema));
        }
        Type label = schema.getType("label");
        if (label.isPrimitive()
                && label.asPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.BINARY) {
            throw new IllegalArgumentException(file + ": column 'label' is "
                    + label.asPrimitiveType().getPrimitiveTypeName().name().toLowerCase()
                    + ", expected a string (the class name; write numbers as strings, e.g. CAST(label AS STRING))");
        }
        checkBinary(file, label, true);
        if (schema.containsField("split")) {
            checkBinary(file, schema.getType("split"), true);
        }
    }

    private static List<String> columns(MessageType schema) {
        return schema.getFields().stream().map(Type::getName).toList();
    }

    private static void checkBinary(String file, Type column, boolean string) {
        String expected = string ? "a string (binary, UTF8)" : "binary";
        String problem = null;
        if (!column.isPrimitive()) {
            problem = "a group (struct, list or map)";
        } else if (column.isRepetition(Type.Repetition.REPEATED)) {
            problem = "a repeated "
                    + column.asPrimitiveType().getPrimitiveTypeName().name().toLowerCase();
        } else {
            PrimitiveType primitive = column.asPrimitiveType();
            LogicalTypeAnnotation annotation = primitive.getLogicalTypeAnnotation();
            boolean binary = primitive.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY;
            boolean text =
                    annotation == null || annotation instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation;
            if (!binary || (string && !text)) {
                problem = primitive.getPrimitiveTypeName().name().toLowerCase()
                        + (annotation == null ? "" : " (" + annotation + ")");
            }
        }
        if (problem != null) {
            throw new IllegalArgumentException(
                    file + ": column '" + column.getName() + "' is " + problem + ", expected " + expected);
        }
    }

    /** An exception's message on one line, for messages that quote a library's words. */
    static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        message = message.replaceAll("\\s+", " ").trim();
        return message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }
}
