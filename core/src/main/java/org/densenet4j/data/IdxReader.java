package org.densenet4j.data;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads MNIST-style IDX files (raw or gzipped): an images file (magic 0x803: unsigned bytes, 3
 * dimensions) and a labels file (magic 0x801), checking magic numbers, counts, sizes and labels.
 */
public final class IdxReader {

    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {}

    /**
     * Reads one split.
     *
     * @param classNames the label names; every label must index into them
     * @throws InvalidDatasetException naming the file and what is wrong with it
     */
    public static InMemoryDataset read(Path images, Path labels, List<String> classNames)
            throws InvalidDatasetException {
        ByteBuffer img = ByteBuffer.wrap(DatasetFiles.readAll(images));
        checkHeader(images, img, IMAGES_MAGIC, 16);
        int count = img.getInt();
        int rows = img.getInt();
        int cols = img.getInt();
        if (count <= 0 || rows <= 0 || cols <= 0) {
            throw new InvalidDatasetException(images, "bad dimensions " + count + "x" + rows + "x" + cols);
        }
        long expected = (long) count * rows * cols;
        if (img.remaining() != expected) {
            throw new InvalidDatasetException(images, "expected " + expected + " pixel bytes for " + count
                    + " images of " + rows + "x" + cols + ", found " + img.remaining()
                    + (img.remaining() < expected ? " (truncated)" : " (trailing data)"));
        }
        byte[] pixels = new byte[(int) expected];
        img.get(pixels);

        ByteBuffer lab = ByteBuffer.wrap(DatasetFiles.readAll(labels));
        checkHeader(labels, lab, LABELS_MAGIC, 8);
        int labelCount = lab.getInt();
        if (labelCount != count) {
            throw new InvalidDatasetException(labels, "holds " + labelCount + " labels but " + images
                    + " holds " + count + " images");
        }
        if (lab.remaining() != count) {
            throw new InvalidDatasetException(labels, "expected " + count + " label bytes, found "
                    + lab.remaining() + (lab.remaining() < count ? " (truncated)" : " (trailing data)"));
        }
        int[] y = new int[count];
        for (int i = 0; i < count; i++) {
            y[i] = lab.get() & 0xff;
            if (y[i] >= classNames.size()) {
                throw new InvalidDatasetException(labels, "label " + y[i] + " of image " + i
                        + " is out of range: expected 0.." + (classNames.size() - 1));
            }
        }
        return new InMemoryDataset(images.toString(), 1, rows, cols, pixels, y, classNames);
    }

    private static void checkHeader(Path file, ByteBuffer buf, int magic, int headerBytes)
            throws InvalidDatasetException {
        if (buf.remaining() < headerBytes) {
            throw new InvalidDatasetException(file, "too short for an IDX header (" + buf.remaining()
                    + " bytes)");
        }
        int actual = buf.getInt();
        if (actual != magic) {
            throw new InvalidDatasetException(file, String.format(
                    "not an IDX %s file: magic number 0x%08x, expected 0x%08x",
                    magic == IMAGES_MAGIC ? "images" : "labels", actual, magic));
        }
    }
}
