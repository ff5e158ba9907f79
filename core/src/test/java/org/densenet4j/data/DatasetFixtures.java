package org.densenet4j.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small datasets in the real on-disk formats. */
final class DatasetFixtures {

    private DatasetFixtures() {}

    /** IDX images: magic 0x803, count, rows, cols, then pixels (pixel = (i * 7 + k) mod 256). */
    static byte[] idxImages(int count, int rows, int cols) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x803);
        out.writeInt(count);
        out.writeInt(rows);
        out.writeInt(cols);
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < rows * cols; k++) {
                out.writeByte((i * 7 + k) & 0xff);
            }
        }
        return bytes.toByteArray();
    }

    /** IDX labels: magic 0x801, count, then label i mod classes. */
    static byte[] idxLabels(int count, int classes) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x801);
        out.writeInt(count);
        for (int i = 0; i < count; i++) {
            out.writeByte(i % classes);
        }
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    /** The four Fashion-MNIST-named IDX files, gzipped, in {@code dir}. */
    static void writeIdxSet(Path dir, int trainCount, int testCount) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(idxImages(trainCount, 28, 28)));
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(idxLabels(trainCount, 10)));
        Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"), gzip(idxImages(testCount, 28, 28)));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), gzip(idxLabels(testCount, 10)));
    }

    /** CIFAR records: labelBytes label bytes (i mod classes) then 3072 pixel bytes. */
    static byte[] cifarRecords(int count, int labelBytes, int classes) {
        int record = labelBytes + 3072;
        byte[] data = new byte[count * record];
        for (int i = 0; i < count; i++) {
            for (int l = 0; l < labelBytes; l++) {
                data[i * record + l] = (byte) ((i + l) % classes);
            }
            for (int k = 0; k < 3072; k++) {
                data[i * record + labelBytes + k] = (byte) (i + k);
            }
        }
        return data;
    }
}
