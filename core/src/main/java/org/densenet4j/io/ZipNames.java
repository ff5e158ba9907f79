package org.densenet4j.io;

import java.io.IOException;
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
final class ZipNames {

    private ZipNames() {}

    /** Refuses a zip that holds an entry name twice, naming the file and the entry (at most 80 characters of it). */
    static void requireUnique(Path file, ZipFile zip) throws IOException {
        Set<String> seen = new HashSet<>();
        for (ZipEntry e : Collections.list(zip.entries())) {
            if (!seen.add(e.getName())) {
                String name = e.getName().length() > 80 ? e.getName().substring(0, 80) + "..." : e.getName();
                throw new IOException(file + ": holds entry '" + name + "' twice");
            }
        }
    }
}
