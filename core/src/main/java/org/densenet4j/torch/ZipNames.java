package org.densenet4j.torch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Zip entry names as densenet4j's readers trust them: each once. With a name twice, {@link ZipFile#getEntry} answers
 * one of the two while another reader may take the other, so a file's meaning would depend on who reads it.
 */
public final class ZipNames {

    private ZipNames() {}

    /**
     * Opens {@code file} as a zip, refusing (and closing) one that holds an entry name twice.
     *
     * @throws java.util.zip.ZipException if it is not a zip; the caller says what it expected
     * @throws IOException naming the file if it is a pipe or device ({@link #requireNoSpecialFile})
     */
    public static ZipFile open(Path file) throws IOException {
        requireNoSpecialFile(file);
        ZipFile zip = new ZipFile(file.toFile());
        try {
            requireUnique(file, zip);
        } catch (IOException e) {
            zip.close();
            throw e;
        }
        return zip;
    }

    /**
     * Refuses a file that exists but is not a regular file (a named pipe, a device): opening a pipe waits for a writer
     * that may never come. A missing file is left to the caller's open, which says so.
     */
    public static void requireNoSpecialFile(Path file) throws IOException {
        if (Files.exists(file) && !Files.isRegularFile(file) && !Files.isDirectory(file)) {
            throw new IOException(file + ": not a regular file (a pipe or device would be waited on forever)");
        }
    }

    /** Refuses a zip that holds an entry name twice, naming the file and the entry (at most 80 characters of it). */
    public static void requireUnique(Path file, ZipFile zip) throws IOException {
        Set<String> seen = new HashSet<>();
        for (ZipEntry e : Collections.list(zip.entries())) {
            if (!seen.add(e.getName())) {
                String name = e.getName().length() > 80 ? e.getName().substring(0, 80) + "..." : e.getName();
                throw new IOException(file + ": holds entry '" + name + "' twice");
            }
        }
    }
}
