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

/** Reads a whole dataset file, transparently gunzipping it, with errors that name the file. */
final class DatasetFiles {

    private DatasetFiles() {}

    static byte[] readAll(Path file) throws InvalidDatasetException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            try (InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw) {
                return in.readAllBytes();
            }
        } catch (NoSuchFileException e) {
            throw new InvalidDatasetException(file, "file not found");
        } catch (EOFException | ZipException e) {
            throw new InvalidDatasetException(file, "truncated or corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new InvalidDatasetException(file, "cannot read: " + e.getMessage(), e);
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
