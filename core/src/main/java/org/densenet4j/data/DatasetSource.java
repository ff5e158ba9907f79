package org.densenet4j.data;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A named dataset: which files make it, how to read them, where the Debian package puts them and
 * where to download them.
 *
 * @param name the name users type, such as {@code fashion-mnist}
 * @param markerFiles files whose presence (raw or {@code .gz}) means the dataset is in a folder
 * @param reader reads the splits from a folder holding the files
 * @param systemDir where a system package installs it, or null
 * @param remote the files to download, with their checksums
 * @param howToGet what to tell a user who has none of it
 */
public record DatasetSource(
        String name,
        List<String> markerFiles,
        Reader reader,
        Path systemDir,
        List<RemoteFile> remote,
        String howToGet) {

    /** Reads the splits from a folder, at most the given number of images of each (the rest is not read). */
    @FunctionalInterface
    public interface Reader {
        DatasetSplits read(String name, Path dir, int trainLimit, int testLimit) throws InvalidDatasetException;
    }

    /** True if every marker file is in {@code dir}, raw or gzipped. */
    public boolean isIn(Path dir) {
        return dir != null
                && markerFiles.stream()
                        .allMatch(f ->
                                Files.isRegularFile(dir.resolve(f)) || Files.isRegularFile(dir.resolve(f + ".gz")));
    }

    /** An MNIST-style dataset of four IDX files under {@code base}. */
    static DatasetSource idx(
            String name, URI base, List<String> md5s, List<String> classes, Path systemDir, String howToGet) {
        List<String> files = List.of(
                "train-images-idx3-ubyte",
                "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte");
        List<RemoteFile> remote = new java.util.ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            remote.add(new RemoteFile(base.resolve(files.get(i) + ".gz"), md5s.get(i), false));
        }
        Reader reader = (n, dir, trainLimit, testLimit) -> new DatasetSplits(
                n,
                IdxReader.read(
                        DatasetFiles.firstExisting(dir, files.get(0) + ".gz", files.get(0)),
                        DatasetFiles.firstExisting(dir, files.get(1) + ".gz", files.get(1)),
                        classes,
                        trainLimit),
                IdxReader.read(
                        DatasetFiles.firstExisting(dir, files.get(2) + ".gz", files.get(2)),
                        DatasetFiles.firstExisting(dir, files.get(3) + ".gz", files.get(3)),
                        classes,
                        testLimit));
        return new DatasetSource(name, files, reader, systemDir, List.copyOf(remote), howToGet);
    }

    @Override
    public String toString() {
        return name + " (" + markerFiles.stream().collect(Collectors.joining(", ")) + ")";
    }
}
