package org.densenet4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --overwrite} for the commands that write files the user names ({@code embed}, {@code export},
 * {@code import}, {@code infer}, {@code explain}), and the check they make before any work: every output's folder
 * exists (nothing creates a mistyped path), no output is a folder, and an existing output is replaced only when the
 * user asked for it.
 */
public final class OverwriteOption {

    @Option(
            names = "--overwrite",
            description = "Replace output files that exist already (without it, an existing output is refused and "
                    + "left as it is).")
    boolean overwrite;

    /**
     * Checks that {@code files} can be written, before the work that produces them starts.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    void check(List<Path> files) {
        for (Path file : files) {
            Path dir = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("cannot write " + file + ": the folder " + dir + " does not exist");
            }
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException("cannot write " + file + ": it is a folder; name a file");
            }
            if (!overwrite && Files.exists(file)) {
                throw new IllegalArgumentException(
                        file + " exists already: give --overwrite to replace it, or choose another file");
            }
        }
    }

    /** {@link #check(List)} for one file. */
    void check(Path file) {
        check(List.of(file));
    }
}
