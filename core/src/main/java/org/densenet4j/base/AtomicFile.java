package org.densenet4j.base;

import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file so that it appears whole or not at all: the content goes to a temporary file in the
 * same folder, is forced to disk, and is renamed over the target. A crash at any moment leaves the old
 * file (or none), never half of a new one, and no temporary file survives a failed write.
 */
public final class AtomicFile {

    /** Produces the content. It may close the stream it is given; the file is finished afterwards. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** What {@link Files#createTempFile} makes of a target's name: the name, random digits, ".tmp". */
    private static final java.util.regex.Pattern LEFTOVER = java.util.regex.Pattern.compile(".+[0-9]{6,}\\.tmp");

    private AtomicFile() {}

    /**
     * Removes the temporary files that writes into {@code dir} left when the process was killed mid-write
     * (a finished write never leaves one). Returns how many were removed.
     */
    public static int removeLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int removed = 0;
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)
                        && LEFTOVER.matcher(f.getFileName().toString()).matches()) {
                    Files.deleteIfExists(f);
                    removed++;
                }
            }
        }
        return removed;
    }

    public static void write(Path file, Content content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            // Temporary files are created owner-only; the finished file gets the usual rw-r--r--.
            if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            try (FileOutputStream out = new FileOutputStream(tmp.toFile())) {
                content.writeTo(new FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        flush(); // the file is synced and closed below, once the content is complete
                    }
                });
                out.flush();
                out.getFD().sync();
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
