package org.densenet4j.cli;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.data.ImageFiles;

/**
 * The image arguments of predict, explain, embed and int8 calibration: files and folders of JPEG and PNG images.
 *
 * <p>A folder is searched without following symbolic links to folders (a link may point anywhere, or back up the
 * tree), at most {@value #MAX_DEPTH} folders deep, at most {@value #MAX_ENTRIES} entries of any kind are looked at
 * and at most {@value #MAX_FILES} images are listed: a tree beyond any is refused, naming the folder, rather than
 * walked without end (a folder recorded in a model file, say {@code /}, is walked only that far).
 */
final class ImageInputs {

    /** Folders nested deeper than this are refused: image collections nest a few levels. */
    static final int MAX_DEPTH = 32;

    /** The most images a run lists: the paths alone of more would take hundreds of megabytes. */
    static final int MAX_FILES = 1_000_000;

    /** The most files and folders a search looks at, images or not: a whole file system is refused quickly. */
    static final int MAX_ENTRIES = 4 * MAX_FILES;

    private ImageInputs() {}

    /** Files as given, folders replaced by their JPEG and PNG files in sorted order. */
    static List<Path> expand(List<Path> inputs) throws IOException {
        return expand(inputs, MAX_ENTRIES);
    }

    /** As {@link #expand(List)}, looking at no more than {@code maxEntries} entries per folder (tests). */
    static List<Path> expand(List<Path> inputs, int maxEntries) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                List<Path> found = imagesIn(p, MAX_FILES - files.size(), maxEntries);
                found.sort(null);
                files.addAll(found);
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else if (Files.exists(p)) {
                throw new IllegalArgumentException(
                        p + ": not a regular file (a pipe or device would be waited on " + "forever)");
            } else {
                throw new IllegalArgumentException(p + ": no such file or folder");
            }
            if (files.size() > MAX_FILES) {
                throw new IllegalArgumentException(
                        "more than " + MAX_FILES + " images in " + inputs + ": give fewer or smaller folders");
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no JPEG or PNG images in " + inputs);
        }
        return files;
    }

    /**
     * The JPEG and PNG files under {@code folder} (regular files, or links to them), not following links to folders,
     * refusing a tree deeper than {@link #MAX_DEPTH}, holding more than {@code room} images or more than {@code
     * maxEntries} entries.
     */
    private static List<Path> imagesIn(Path folder, int room, int maxEntries) throws IOException {
        List<Path> found = new ArrayList<>();
        // The folder named is entered even if it is a link (the user chose it); links below it are not.
        Path start = Files.isSymbolicLink(folder) ? folder.toRealPath() : folder;
        // walkFileTree without FOLLOW_LINKS reports a link to a folder as a file, never entering it
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            private int depth;
            private int entries;

            /** Counts one more entry looked at, refusing the tree past {@code maxEntries}. */
            private void count() {
                if (++entries > maxEntries) {
                    throw new IllegalArgumentException("more than " + maxEntries + " files and folders under " + folder
                            + ": give the folder that holds the images");
                }
            }

            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                count();
                if (++depth > MAX_DEPTH + 1) {
                    throw new IllegalArgumentException(folder + " nests folders more than " + MAX_DEPTH + " deep (at "
                            + dir + "): give a shallower folder");
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                depth--;
                if (e != null) {
                    throw e;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                count();
                if (ImageFiles.isImageName(file)
                        && (attrs.isRegularFile() || attrs.isSymbolicLink() && Files.isRegularFile(file))) {
                    if (found.size() >= room) {
                        throw new IllegalArgumentException("more than " + MAX_FILES + " images under " + folder
                                + ": give fewer or smaller folders");
                    }
                    found.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                throw new IOException("cannot read " + file + " (" + e.getMessage() + ")", e);
            }
        });
        if (start == folder) {
            return found;
        }
        List<Path> named = new ArrayList<>(); // as the user named them, under the link
        found.forEach(f -> named.add(folder.resolve(start.relativize(f))));
        return named;
    }
}
