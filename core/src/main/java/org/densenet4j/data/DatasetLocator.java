package org.densenet4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a named dataset, in this order: the folder the user names ({@code --data}), the per-user
 * data folder, the system package's folder, and finally a verified download into the per-user folder.
 */
public final class DatasetLocator {

    private static final Logger LOG = LoggerFactory.getLogger(DatasetLocator.class);

    private final List<DatasetSource> catalog;
    private final Path userRoot;
    private final Downloader downloader;
    private final boolean downloadAllowed;

    public DatasetLocator(List<DatasetSource> catalog, Path userRoot, Downloader downloader, boolean downloadAllowed) {
        this.catalog = List.copyOf(catalog);
        this.userRoot = userRoot;
        this.downloader = downloader;
        this.downloadAllowed = downloadAllowed;
    }

    /** The official catalog, {@code $DENSENET4J_DATA} or {@code ~/.densenet4j/datasets}, downloads on. */
    public static DatasetLocator standard() {
        return new DatasetLocator(DatasetCatalog.official(), defaultUserRoot(), new Downloader(), true);
    }

    public static Path defaultUserRoot() {
        String env = System.getenv("DENSENET4J_DATA");
        return env != null && !env.isBlank()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".densenet4j", "datasets");
    }

    public List<String> names() {
        return catalog.stream().map(DatasetSource::name).collect(Collectors.toList());
    }

    /**
     * Finds and reads a dataset.
     *
     * @param dataDir the folder the user named, or null
     * @throws InvalidDatasetException if it is nowhere and cannot be downloaded; the message says how
     *     to get it
     */
    public DatasetSplits load(String name, Path dataDir) throws IOException {
        return load(name, dataDir, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * As {@link #load(String, Path)}, reading at most {@code trainLimit} training and {@code testLimit} test
     * images: for IDX files the rest is never read, however many images a header claims.
     */
    public DatasetSplits load(String name, Path dataDir, int trainLimit, int testLimit) throws IOException {
        if (trainLimit < 1 || testLimit < 1) {
            throw new IllegalArgumentException("image limits must be at least 1, got " + trainLimit + " training and "
                    + testLimit + " test images");
        }
        DatasetSource source = catalog.stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown dataset '" + name + "'; known: "
                        + String.join(", ", names()) + " (or an image folder path)"));
        List<Path> tried = new ArrayList<>();
        if (dataDir != null) {
            for (Path candidate : List.of(dataDir, dataDir.resolve(name))) {
                tried.add(candidate);
                if (source.isIn(candidate)) {
                    return read(source, candidate, trainLimit, testLimit);
                }
            }
            // The user named a folder: falling back silently to another copy would surprise them.
            throw new DatasetNotFoundException("dataset " + name + " not found in " + dataDir
                    + ": expected " + String.join(", ", source.markerFiles()) + " (raw or .gz); "
                    + source.howToGet());
        }
        Path user = userRoot.resolve(name);
        tried.add(user);
        if (source.isIn(user)) {
            return read(source, user, trainLimit, testLimit);
        }
        if (source.systemDir() != null) {
            tried.add(source.systemDir());
            if (source.isIn(source.systemDir())) {
                return read(source, source.systemDir(), trainLimit, testLimit);
            }
        }
        if (downloadAllowed && !source.remote().isEmpty()) {
            try {
                for (RemoteFile f : source.remote()) {
                    downloader.fetch(f, user);
                }
            } catch (IOException e) {
                throw new DatasetNotFoundException("dataset " + name + " is not in "
                        + tried.stream().map(Path::toString).collect(Collectors.joining(", "))
                        + " and the download failed (" + e.getMessage() + "); " + source.howToGet());
            }
            if (source.isIn(user)) {
                return read(source, user, trainLimit, testLimit);
            }
        }
        throw new DatasetNotFoundException("dataset " + name + " not found in "
                + tried.stream().map(Path::toString).collect(Collectors.joining(", ")) + "; "
                + source.howToGet());
    }

    private static DatasetSplits read(DatasetSource source, Path dir, int trainLimit, int testLimit)
            throws InvalidDatasetException {
        LOG.info("reading {} from {}", source.name(), dir);
        return source.reader().read(source.name(), dir, trainLimit, testLimit);
    }
}
