package org.densenet4j.spark;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;

/**
 * The images of one row group of a Parquet table ({@link ParquetImageTable.Slice}): its {@code path} and
 * {@code content} columns, either of which a table may lack, read with {@link CappedBinaryColumn}. A null path
 * without content, a path or cell over its limit, is a cell with a problem; a row group that turns out malformed ends
 * in one cell naming the file and the rows not read. Rows are read in order, all of them ({@link #open}) or those
 * asked for ({@link #at}), passing over the others without holding them.
 */
final class ParquetSliceReader implements Iterator<ImageCell>, Closeable {

    /** The longest path read: longer than any file system's, shorter than any image. */
    static final int MAX_PATH_BYTES = 64 << 10;

    private final ParquetImageTable.Slice slice;
    private final SeekableInputStream pathStream;
    private final SeekableInputStream contentStream;
    private final CappedBinaryColumn paths;
    private final CappedBinaryColumn contents;
    private long row;
    private String broken;

    private ParquetSliceReader(
            ParquetImageTable.Slice slice,
            SeekableInputStream pathStream,
            SeekableInputStream contentStream,
            CappedBinaryColumn paths,
            CappedBinaryColumn contents) {
        this.slice = slice;
        this.pathStream = pathStream;
        this.contentStream = contentStream;
        this.paths = paths;
        this.contents = contents;
    }

    /**
     * The cells of a slice; a slice that cannot be opened is one cell saying why.
     *
     * @param maxImageBytes the largest content cell read
     * @param maxPageBytes the largest page decompressed whole
     */
    static Iterator<ImageCell> open(
            ParquetImageTable.Slice slice, Configuration hadoop, long maxImageBytes, long maxPageBytes) {
        try {
            return reader(slice, hadoop, maxImageBytes, maxPageBytes);
        } catch (IOException | RuntimeException e) {
            return java.util.List.of(unreadRows(slice, 0, e)).iterator();
        }
    }

    /**
     * A reader of a slice's rows, for {@link #at}.
     *
     * @throws IOException when the slice cannot be opened (the file is gone, changed or malformed)
     */
    static ParquetSliceReader reader(
            ParquetImageTable.Slice slice, Configuration hadoop, long maxImageBytes, long maxPageBytes)
            throws IOException {
        SeekableInputStream pathStream = null;
        SeekableInputStream contentStream = null;
        try {
            ParquetImageTable.OpenedSlice opened = ParquetImageTable.open(
                    slice, hadoop, schema -> ParquetImageTable.checkImageColumns(slice.file(), schema));
            FileStatus status = opened.status();
            MessageType schema = opened.schema();
            BlockMetaData group = opened.group();
            HadoopInputFile input = opened.input(hadoop);
            CappedBinaryColumn paths = null;
            if (schema.containsField("path")) {
                pathStream = input.newStream();
                paths = column(pathStream, status, group, schema, "path", slice.rows(), MAX_PATH_BYTES, maxPageBytes);
            }
            CappedBinaryColumn contents = null;
            if (schema.containsField("content")) {
                contentStream = input.newStream();
                contents = column(
                        contentStream, status, group, schema, "content", slice.rows(), maxImageBytes, maxPageBytes);
            }
            return new ParquetSliceReader(slice, pathStream, contentStream, paths, contents);
        } catch (IOException | RuntimeException e) {
            closeQuietly(pathStream);
            closeQuietly(contentStream);
            throw e;
        }
    }

    /** The row group this reader reads. */
    ParquetImageTable.Slice slice() {
        return slice;
    }

    /** The row after the last one read: rows before it can no longer be read by this reader. */
    long position() {
        return row;
    }

    /**
     * Row {@code index} of the slice (counted from its first row), at or after {@link #position()}; the rows before it
     * are passed over without being held. Once the row group turns out malformed, every row is a cell saying so.
     */
    ImageCell at(long index) {
        if (index < row || index >= slice.rows()) {
            throw new IllegalArgumentException(
                    "row " + index + " of a slice of " + slice.rows() + " rows, read up to " + row);
        }
        if (broken == null && index > row) {
            try {
                if (paths != null) {
                    paths.skip(index - row);
                }
                if (contents != null) {
                    contents.skip(index - row);
                }
                row = index;
            } catch (IOException | RuntimeException e) {
                broken = unreadRows(slice, row, e).problem();
            }
        }
        if (broken != null) {
            row = index + 1;
            return new ImageCell(null, null, broken);
        }
        return next();
    }

    static CappedBinaryColumn column(
            SeekableInputStream stream,
            FileStatus file,
            BlockMetaData group,
            MessageType schema,
            String name,
            long rows,
            long maxValueBytes,
            long maxPageBytes)
            throws IOException {
        ColumnChunkMetaData chunk = group.getColumns().stream()
                .filter(c -> c.getPath().toDotString().equals(name))
                .findFirst()
                .orElseThrow(() -> new IOException("the row group has no '" + name + "' column chunk"));
        if (chunk.getValueCount() != rows) {
            throw new IOException("its '" + name + "' column chunk declares " + chunk.getValueCount() + " values for "
                    + rows + " rows");
        }
        ColumnDescriptor column = schema.getColumnDescription(new String[] {name});
        return new CappedBinaryColumn(stream, file.getLen(), chunk, column, rows, name, maxValueBytes, maxPageBytes);
    }

    @Override
    public boolean hasNext() {
        boolean more = broken == null && row < slice.rows();
        if (!more) {
            close();
        }
        return more;
    }

    @Override
    public ImageCell next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        long at = row;
        try {
            CappedBinaryColumn.Cell path = paths == null ? null : paths.next();
            CappedBinaryColumn.Cell content = contents == null ? null : contents.next();
            row++;
            String where = "row " + (slice.firstRow() + at) + " of " + slice.file();
            if (path != null && path.problem() != null) {
                return new ImageCell(null, null, where + ": " + path.problem());
            }
            if (path != null && path.bytes() == null) {
                return new ImageCell(null, null, where + " has a null path");
            }
            String name = path == null ? null : new String(path.bytes(), StandardCharsets.UTF_8);
            if (content != null && content.problem() != null) {
                return new ImageCell(name, null, (name == null ? where + ": " : "") + content.problem());
            }
            if (name == null && content.bytes() == null) {
                return new ImageCell(null, null, where + " has null content"); // a table without paths
            }
            return new ImageCell(name, content == null ? null : content.bytes(), null);
        } catch (IOException | RuntimeException e) {
            ImageCell cell = unreadRows(slice, at, e);
            broken = cell.problem();
            return cell;
        }
    }

    /** The one cell standing for the rows of a slice from {@code from} on, which could not be read. */
    private static ImageCell unreadRows(ParquetImageTable.Slice slice, long from, Exception e) {
        long first = slice.firstRow() + from;
        long last = slice.firstRow() + slice.rows() - 1;
        return new ImageCell(
                slice.file(),
                null,
                "rows " + first + "-" + last + " (row group " + slice.rowGroup() + ") of " + slice.file()
                        + " not read: " + ParquetImageTable.oneLine(e));
    }

    @Override
    public void close() {
        if (paths != null) {
            paths.closePage();
        }
        if (contents != null) {
            contents.closePage();
        }
        closeQuietly(pathStream);
        closeQuietly(contentStream);
    }

    private static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // read-only streams: nothing is lost
            }
        }
    }
}
