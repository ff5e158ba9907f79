package org.densenet4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Opens and reads dataset files, transparently gunzipping them, with errors that name the file and sizes
 * bounded by what the file really holds.
 */
final class DatasetFiles {

    private DatasetFiles() {}

    /** Opens a dataset file, gunzipping it if it starts with gzip's magic bytes. */
    static InputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file));
        try {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            return gzip ? new GZIPInputStream(raw, 1 << 16) : raw;
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * Reads a whole dataset file of at most {@code maxBytes} (after gunzipping); a larger one is refused
     * without reading on, so a gzip bomb costs no more than an honest file.
     */
    static byte[] readAll(Path file, int maxBytes) throws InvalidDatasetException {
        try (InputStream in = open(file)) {
            byte[] data = in.readNBytes(maxBytes);
            if (data.length == maxBytes && in.read() >= 0) {
                throw new InvalidDatasetException(
                        file,
                        "larger than the " + maxBytes + " bytes such a file can "
                                + "hold (after gunzipping): not a file of this dataset");
            }
            return data;
        } catch (InvalidDatasetException e) {
            throw e;
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    /** The error for a file that could not be read, by cause. */
    static InvalidDatasetException unreadable(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new InvalidDatasetException(file, "file not found");
        }
        if (e instanceof EOFException || e instanceof ZipException) {
            return new InvalidDatasetException(file, "truncated or corrupt gzip data (" + e.getMessage() + ")", e);
        }
        return new InvalidDatasetException(file, "cannot read: " + e.getMessage(), e);
    }

    /**
     * Refuses to read {@code bytes} into the Java heap when the heap cannot hold them (with room to spare for
     * the copies training makes), naming the file, what it declares and how to need less.
     */
    static void requireHeap(Path file, long bytes, String what) throws InvalidDatasetException {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > Integer.MAX_VALUE - 16 || bytes > free / 2) {
            throw new InvalidDatasetException(
                    file,
                    "declares " + what + " (" + bytes + " bytes), more than the "
                            + "Java heap can hold (" + free / 2 + " bytes to spare); read fewer images (a train or "
                            + "test limit) or give the JVM more memory (-Xmx)");
        }
    }

    /** The first file of {@code names} that exists in {@code dir}, or the first name if none does. */
    static Path firstExisting(Path dir, String... names) {
        for (String name : names) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return dir.resolve(names[0]);
    }
}
