package org.densenet4j.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads MNIST-style IDX files (raw or gzipped): an images file (magic 0x803: unsigned bytes, 3
 * dimensions) and a labels file (magic 0x801), checking magic numbers, counts, sizes and labels.
 *
 * <p>The files are streamed: the header's counts are checked before anything is allocated, only the images
 * asked for are read, and what is allocated is bounded by what the file really holds, whatever its header
 * claims.
 */
public final class IdxReader {

    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;
    /** Far beyond MNIST-style images (28x28): a side this large in a header means a damaged or crafted file. */
    static final int MAX_SIDE = 4096;

    private IdxReader() {}

    /** Reads one whole split. */
    public static InMemoryDataset read(Path images, Path labels, List<String> classNames)
            throws InvalidDatasetException {
        return read(images, labels, classNames, Integer.MAX_VALUE);
    }

    /**
     * Reads the first {@code limit} images of one split (all of them if the file holds fewer).
     *
     * @param classNames the label names; every label must index into them
     * @throws InvalidDatasetException naming the file and what is wrong with it
     */
    public static InMemoryDataset read(Path images, Path labels, List<String> classNames, int limit)
            throws InvalidDatasetException {
        int count;
        int rows;
        int cols;
        byte[] pixels;
        try (DataInputStream in = new DataInputStream(DatasetFiles.open(images))) {
            checkMagic(images, in, IMAGES_MAGIC);
            count = in.readInt();
            rows = in.readInt();
            cols = in.readInt();
            if (count <= 0 || rows <= 0 || cols <= 0 || rows > MAX_SIDE || cols > MAX_SIDE) {
                throw new InvalidDatasetException(
                        images,
                        "bad dimensions " + count + "x" + rows + "x" + cols + " (images must be 1.." + MAX_SIDE
                                + " pixels on a side)");
            }
            int n = Math.min(count, limit);
            long bytes = (long) n * rows * cols;
            DatasetFiles.requireHeap(images, bytes, n + " images of " + rows + "x" + cols);
            pixels = new byte[(int) bytes];
            readFully(images, in, pixels, count + " images of " + rows + "x" + cols);
            if (n == count && in.read() >= 0) {
                throw new InvalidDatasetException(
                        images,
                        "expected " + (long) count * rows * cols + " pixel bytes " + "for " + count + " images of "
                                + rows + "x" + cols + ", found more (trailing data)");
            }
        } catch (InvalidDatasetException e) {
            throw e;
        } catch (IOException e) {
            throw DatasetFiles.unreadable(images, e);
        }
        int n = pixels.length / (rows * cols);
        int[] y = new int[n];
        try (DataInputStream in = new DataInputStream(DatasetFiles.open(labels))) {
            checkMagic(labels, in, LABELS_MAGIC);
            int labelCount = in.readInt();
            if (labelCount != count) {
                throw new InvalidDatasetException(
                        labels, "holds " + labelCount + " labels but " + images + " holds " + count + " images");
            }
            byte[] raw = new byte[n];
            readFully(labels, in, raw, count + " labels");
            if (n == count && in.read() >= 0) {
                throw new InvalidDatasetException(
                        labels, "expected " + count + " label bytes, found more " + "(trailing data)");
            }
            for (int i = 0; i < n; i++) {
                y[i] = raw[i] & 0xff;
                if (y[i] >= classNames.size()) {
                    throw new InvalidDatasetException(
                            labels,
                            "label " + y[i] + " of image " + i + " is out of range: expected 0.."
                                    + (classNames.size() - 1));
                }
            }
        } catch (InvalidDatasetException e) {
            throw e;
        } catch (IOException e) {
            throw DatasetFiles.unreadable(labels, e);
        }
        return new InMemoryDataset(images.toString(), 1, rows, cols, pixels, y, classNames);
    }

    private static void readFully(Path file, InputStream in, byte[] into, String declared) throws IOException {
        int n = in.readNBytes(into, 0, into.length);
        if (n < into.length) {
            throw new InvalidDatasetException(
                    file,
                    "the header declares " + declared + " but the data ends after " + n + " of the " + into.length
                            + " bytes read (truncated)");
        }
    }

    private static void checkMagic(Path file, DataInputStream in, int magic) throws IOException {
        int actual;
        try {
            actual = in.readInt();
        } catch (EOFException e) {
            throw new InvalidDatasetException(file, "too short for an IDX header");
        }
        if (actual != magic) {
            throw new InvalidDatasetException(
                    file,
                    String.format(
                            "not an IDX %s file: magic number 0x%08x, expected 0x%08x",
                            magic == IMAGES_MAGIC ? "images" : "labels", actual, magic));
        }
    }
}
