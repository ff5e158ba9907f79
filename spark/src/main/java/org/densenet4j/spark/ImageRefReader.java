package org.densenet4j.spark;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.data.UnreadableImageException;

/**
 * Reads and decodes the images {@link ImageRef}s point to, within the limits: a file's length is checked before it is
 * read and a table's cell before it is held (--max-image-bytes), and an image's declared dimensions before it is
 * decoded ({@link ImageFiles#decode}). Rows of one row group asked for in increasing order are read in one pass, the
 * rows between them passed over; so callers sort a batch's rows by {@link #ORDER} first. Not thread-safe.
 */
final class ImageRefReader implements Closeable {

    /** The order in which rows read fastest: files as they come, then table rows by row group and row. */
    static final java.util.Comparator<ImageRef> ORDER = java.util.Comparator.comparing(
                    (ImageRef r) -> r.slice() == null ? "" : r.slice().file())
            .thenComparingInt(r -> r.slice() == null ? -1 : r.slice().rowGroup())
            .thenComparingLong(ImageRef::row);

    private final Configuration hadoop;
    private final long maxImageBytes;
    private ParquetSliceReader table;

    ImageRefReader(Configuration hadoop, long maxImageBytes) {
        this.hadoop = hadoop;
        this.maxImageBytes = maxImageBytes;
    }

    /** The image at {@code ref}. */
    BufferedImage read(ImageRef ref) throws UnreadableImageException {
        java.nio.file.Path name = java.nio.file.Path.of(ref.name());
        try {
            if (ref.path() != null) {
                return decode(new ImageCell(ref.path(), null, null), hadoop, maxImageBytes);
            }
            ImageCell cell = tableRow(ref).at(ref.row());
            return decode(
                    cell.path() == null && cell.problem() == null
                            ? new ImageCell(ref.name(), cell.content(), null)
                            : cell,
                    hadoop,
                    maxImageBytes);
        } catch (UnreadableImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new UnreadableImageException(name, ParquetImageTable.oneLine(e));
        }
    }

    /** The reader of {@code ref}'s row group, positioned at or before its row. */
    private ParquetSliceReader tableRow(ImageRef ref) throws IOException {
        if (table == null || !table.slice().equals(ref.slice()) || table.position() > ref.row()) {
            close();
            table = ParquetSliceReader.reader(
                    ref.slice(), hadoop, maxImageBytes, ClassifyPartition.maxPageBytes(maxImageBytes));
        }
        return table;
    }

    /**
     * Decodes a cell: its bytes from the table, or the file at its path, read through Hadoop's file systems (local,
     * HDFS, S3, ...) once its length is known to be within the limit.
     *
     * @throws IOException the cell's problem, or why its image cannot be read
     */
    static BufferedImage decode(ImageCell cell, Configuration hadoop, long maxImageBytes) throws IOException {
        if (cell.problem() != null) {
            throw new IOException(cell.problem());
        }
        java.nio.file.Path name = java.nio.file.Path.of(cell.path());
        if (cell.content() != null) {
            return ImageFiles.decode(new ByteArrayInputStream(cell.content()), name);
        }
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(cell.path());
        FileSystem fs = file.getFileSystem(hadoop);
        FileStatus status = fs.getFileStatus(file);
        if (!status.isFile()) {
            throw new IOException(cell.path() + ": not a file");
        }
        long length = status.getLen();
        if (length > maxImageBytes) {
            throw new IOException(cell.path() + ": file of " + length + " bytes is over the limit of " + maxImageBytes
                    + " bytes (--max-image-bytes)");
        }
        try (InputStream in = fs.open(file)) {
            // The file may grow after its length was read: never read more than the limit.
            return ImageFiles.decode(new LimitedInputStream(in, maxImageBytes), name);
        }
    }

    @Override
    public void close() {
        if (table != null) {
            table.close();
            table = null;
        }
    }
}
