package org.densenet4j.pretrained;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.densenet4j.data.Downloader;

/**
 * Pretrained weights by name, fetched as torch.hub fetches them: a file already in PyTorch's cache
 * ({@code $TORCH_HOME/hub/checkpoints}) is used as it is; otherwise the file is downloaded into densenet4j's cache
 * ({@code $DENSENET4J_CACHE}) to a temporary file, its SHA-256 checked against the registry, and only then renamed
 * into place. Every use checks a cached file's digest again, so a tampered file is refused. Two processes fetching
 * the same file take turns on a lock file, and the second finds the first one's file.
 *
 * <p>Each setting is read from the environment variable of its name, or from the Java system property of the same
 * name, which wins: {@code DENSENET4J_PRETRAINED} (a registry file adding or replacing entries), {@code
 * DENSENET4J_CACHE} (default {@code ~/.cache/densenet4j}) and {@code TORCH_HOME} (default {@code ~/.cache/torch}).
 */
public final class PretrainedWeights {

    /** The variable naming a registry file whose entries add to or replace the built-in ones. */
    public static final String REGISTRY_VARIABLE = "DENSENET4J_PRETRAINED";

    /** The variable naming densenet4j's download cache. */
    public static final String CACHE_VARIABLE = "DENSENET4J_CACHE";

    /** The end of a partial download's name. */
    private static final String PARTIAL = ".part";

    /** The largest weights file downloaded (densenet161's is 116 MB). */
    static final long MAX_FILE_BYTES = 2L << 30;

    /** One monitor per target file: a file lock cannot be taken twice in one JVM. */
    private static final ConcurrentHashMap<Path, Object> FETCHING = new ConcurrentHashMap<>();

    private final PretrainedRegistry registry;
    private final Path hubDir;
    private final Path cacheDir;
    private final Downloader downloader;

    /**
     * @param registry the weights known by name
     * @param hubDir PyTorch's checkpoint cache, read only
     * @param cacheDir where downloads go
     */
    public PretrainedWeights(PretrainedRegistry registry, Path hubDir, Path cacheDir, Downloader downloader) {
        this.registry = registry;
        this.hubDir = hubDir;
        this.cacheDir = cacheDir;
        this.downloader = downloader;
    }

    /**
     * The registry (with {@code DENSENET4J_PRETRAINED}'s entries) and caches the environment names.
     *
     * @throws IllegalArgumentException if the registry file is missing or wrong, naming it and the field
     */
    public static PretrainedWeights fromEnvironment() throws IOException {
        PretrainedRegistry registry = PretrainedRegistry.builtIn();
        String file = setting(REGISTRY_VARIABLE);
        if (file != null) {
            registry = registry.withFile(Path.of(file), REGISTRY_VARIABLE + " file " + file);
        }
        String torchHome = setting("TORCH_HOME");
        String cache = setting(CACHE_VARIABLE);
        Path hub = (torchHome != null ? Path.of(torchHome) : userCache().resolve("torch"))
                .resolve("hub")
                .resolve("checkpoints");
        return new PretrainedWeights(
                registry, hub, cache != null ? Path.of(cache) : userCache().resolve("densenet4j"), new Downloader());
    }

    /** A setting: the system property of that name, else the environment variable; null when unset or blank. */
    static String setting(String name) {
        String value = System.getProperty(name, System.getenv(name));
        return value == null || value.isBlank() ? null : value;
    }

    /** {@code $XDG_CACHE_HOME}, else {@code ~/.cache}, as PyTorch finds it. */
    private static Path userCache() {
        String xdg = setting("XDG_CACHE_HOME");
        return xdg != null ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    }

    public PretrainedRegistry registry() {
        return registry;
    }

    /** PyTorch's checkpoint cache, which densenet4j reads but never writes. */
    public Path hubDir() {
        return hubDir;
    }

    /** densenet4j's download cache. */
    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * Whether a {@code --weights} value names pretrained weights rather than a file: a registry name such as {@code
     * imagenet}, with no '/' or '.' (a file called so is given as {@code ./imagenet}).
     */
    public boolean isName(String value) {
        return looksLikeName(value) && registry.hasName(value);
    }

    /**
     * Whether a {@code --weights} value could name pretrained weights (no '/' or '.'): callers ask before loading the
     * registry, so that a file never costs a registry read.
     */
    public static boolean looksLikeName(String value) {
        return value.indexOf('/') < 0 && value.indexOf('.') < 0;
    }

    /** Where a cache holds {@code entry}'s file (PyTorch's first), not yet verified; null if none does. */
    public Path located(PretrainedEntry entry) {
        for (Path dir : new Path[] {hubDir, cacheDir}) {
            Path file = dir.resolve(entry.fileName());
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        return null;
    }

    /**
     * The verified local file of {@code entry} if a cache holds it (PyTorch's first), else null.
     *
     * @throws IOException if a cached file is not the published one: it is refused (and deleted from densenet4j's
     *     cache; PyTorch's is left alone) with a message naming it
     */
    public Path cached(PretrainedEntry entry) throws IOException {
        Path file = located(entry);
        if (file != null) {
            requirePublished(entry, file, !file.startsWith(hubDir));
        }
        return file;
    }

    /**
     * The verified local file of {@code entry}: a cached one, else downloaded with {@code progress}.
     *
     * @throws IOException with one line naming the URL, the file and where to put it by hand when the download
     *     fails; or naming the file when its digest is not the published one (it is deleted)
     */
    public Path fetch(PretrainedEntry entry, Downloader.Progress progress) throws IOException {
        Path found = cached(entry);
        if (found != null) {
            return found;
        }
        Files.createDirectories(cacheDir);
        Path target = cacheDir.resolve(entry.fileName()).toAbsolutePath().normalize();
        synchronized (FETCHING.computeIfAbsent(target, t -> new Object())) {
            try (FileChannel lockFile = FileChannel.open(
                            cacheDir.resolve("." + entry.fileName() + ".lock"),
                            StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE);
                    FileLock lock = lockFile.lock()) {
                // Another process may have fetched it while this one waited for the lock.
                found = cached(entry);
                if (found != null) {
                    return found;
                }
                removeAbandonedDownloads(entry);
                return download(entry, target, progress);
            }
        }
    }

    /**
     * Deletes {@code entry}'s partial downloads left by a process that was killed: whoever downloads holds the
     * entry's lock, which the caller now holds, so every partial of this entry is abandoned.
     */
    private void removeAbandonedDownloads(PretrainedEntry entry) throws IOException {
        Pattern partial = Pattern.compile(Pattern.quote(partialPrefix(entry)) + "-?\\d+" + Pattern.quote(PARTIAL));
        try (Stream<Path> files = Files.list(cacheDir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (partial.matcher(file.getFileName().toString()).matches()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /** A partial download's name begins so; the JDK adds a number and {@link #PARTIAL}. */
    private static String partialPrefix(PretrainedEntry entry) {
        return "." + entry.fileName() + ".";
    }

    private Path download(PretrainedEntry entry, Path target, Downloader.Progress progress) throws IOException {
        Path partial = Files.createTempFile(cacheDir, partialPrefix(entry), PARTIAL);
        try {
            String digest;
            try {
                digest = downloader.download(entry.url(), partial, "SHA-256", MAX_FILE_BYTES, progress);
            } catch (IOException e) {
                throw new IOException(e.getMessage() + "; " + manualStep(entry), e);
            }
            if (!digest.startsWith(entry.sha256())) {
                throw new IOException(entry.url() + ": the download's SHA-256 " + digest + " does not start with "
                        + entry.sha256() + " as " + entry.key() + "'s does: it is corrupt or not the published file; "
                        + "deleted it");
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** Where to put the file by hand, for messages. */
    public String manualStep(PretrainedEntry entry) {
        return "to install it by hand, put " + entry.fileName() + " (from " + entry.url() + ") in " + cacheDir + " or "
                + hubDir;
    }

    private static void requirePublished(PretrainedEntry entry, Path file, boolean delete) throws IOException {
        String digest = sha256(file);
        if (digest.startsWith(entry.sha256())) {
            return;
        }
        String problem = file + " is not " + entry.key() + "'s published file: its SHA-256 " + digest
                + " does not start with " + entry.sha256();
        if (delete) {
            Files.deleteIfExists(file);
            throw new IOException(problem + "; deleted it (run again to download it anew)");
        }
        throw new IOException(problem + "; delete or replace it");
    }

    /** A file's SHA-256 in lower-case hex. */
    static String sha256(Path file) throws IOException {
        MessageDigest digest = Downloader.digest("SHA-256");
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
