package org.densenet4j.spark;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Hadoop paths on the local file system as the JDK's, for what Hadoop's local file system does not tell: it calls a
 * named pipe or a device a file, and follows symbolic links without saying so.
 */
final class LocalPaths {

    private LocalPaths() {}

    /** {@code path} on the local disk, or null when {@code fs} is not the local file system. */
    static java.nio.file.Path of(FileSystem fs, Path path) {
        java.io.File local = fs instanceof LocalFileSystem checksummed
                ? checksummed.pathToFile(path)
                : fs instanceof RawLocalFileSystem raw ? raw.pathToFile(path) : null;
        return local == null ? null : local.toPath();
    }
}
