package org.densenet4j.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Reads the binary versions of CIFAR-10 ({@code data_batch_N.bin}, {@code test_batch.bin}: label
 * byte then 3072 pixel bytes) and CIFAR-100 ({@code train.bin}, {@code test.bin}: coarse and fine
 * label bytes then 3072 pixel bytes).
 */
public final class CifarReader {

    private static final int SIDE = 32;
    private static final int PIXELS = 3 * SIDE * SIDE;
    /** The largest CIFAR binary file is CIFAR-100's train.bin: 50,000 records of 3,074 bytes (154 MB). */
    private static final int MAX_FILE_BYTES = 50_000 * (PIXELS + 2);

    static final List<String> CIFAR10_CLASSES =
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private CifarReader() {}

    /** Which CIFAR-100 label to use. */
    public enum Cifar100Labels {
        /** The 100 classes. */
        FINE,
        /** The 20 superclasses. */
        COARSE
    }

    /** Reads CIFAR-10's training (5 batches) or test split from {@code dir}. */
    public static InMemoryDataset cifar10(Path dir, boolean train) throws InvalidDatasetException {
        List<Path> files = new ArrayList<>();
        if (train) {
            for (int i = 1; i <= 5; i++) {
                files.add(dir.resolve("data_batch_" + i + ".bin"));
            }
        } else {
            files.add(dir.resolve("test_batch.bin"));
        }
        List<String> names = classNames(dir.resolve("batches.meta.txt"), CIFAR10_CLASSES);
        return read(files, 1, 0, names);
    }

    /** Reads CIFAR-100's training or test split from {@code dir}. */
    public static InMemoryDataset cifar100(Path dir, boolean train, Cifar100Labels labels)
            throws InvalidDatasetException {
        int classes = labels == Cifar100Labels.FINE ? 100 : 20;
        String meta = labels == Cifar100Labels.FINE ? "fine_label_names.txt" : "coarse_label_names.txt";
        List<String> fallback =
                IntStream.range(0, classes).mapToObj(i -> "class_" + i).collect(Collectors.toList());
        List<String> names = classNames(dir.resolve(meta), fallback);
        return read(
                List.of(dir.resolve(train ? "train.bin" : "test.bin")),
                2,
                labels == Cifar100Labels.FINE ? 1 : 0,
                names);
    }

    private static InMemoryDataset read(List<Path> files, int labelBytes, int labelOffset, List<String> names)
            throws InvalidDatasetException {
        int record = labelBytes + PIXELS;
        List<byte[]> contents = new ArrayList<>();
        long total = 0;
        for (Path f : files) {
            byte[] data = DatasetFiles.readAll(f, MAX_FILE_BYTES);
            if (data.length == 0 || data.length % record != 0) {
                throw new InvalidDatasetException(
                        f,
                        data.length + " bytes is not a whole number of " + record
                                + "-byte CIFAR records (truncated or not a CIFAR binary file)");
            }
            contents.add(data);
            total += data.length / record;
        }
        byte[] pixels = new byte[(int) (total * PIXELS)];
        int[] labels = new int[(int) total];
        int n = 0;
        for (int k = 0; k < files.size(); k++) {
            byte[] data = contents.get(k);
            for (int off = 0; off < data.length; off += record, n++) {
                int label = data[off + labelOffset] & 0xff;
                if (label >= names.size()) {
                    throw new InvalidDatasetException(
                            files.get(k),
                            "label " + label + " of record " + (off / record) + " is out of range: expected 0.."
                                    + (names.size() - 1));
                }
                labels[n] = label;
                System.arraycopy(data, off + labelBytes, pixels, n * PIXELS, PIXELS);
            }
        }
        return new InMemoryDataset(files.get(0).getParent().toString(), 3, SIDE, SIDE, pixels, labels, names);
    }

    private static List<String> classNames(Path meta, List<String> fallback) throws InvalidDatasetException {
        if (!Files.isRegularFile(meta)) {
            return fallback;
        }
        try {
            List<String> names = Files.readAllLines(meta, StandardCharsets.UTF_8).stream()
                    .map(String::trim)
                    .filter(s -> !s.isEmpty())
                    .collect(Collectors.toList());
            if (names.size() != fallback.size()) {
                throw new InvalidDatasetException(
                        meta, "lists " + names.size() + " class names, expected " + fallback.size());
            }
            return names;
        } catch (IOException e) {
            throw new InvalidDatasetException(meta, "cannot read class names: " + e.getMessage(), e);
        }
    }
}
