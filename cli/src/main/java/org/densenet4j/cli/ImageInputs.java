package org.densenet4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.densenet4j.data.ImageFiles;

/** The image arguments of predict and explain: files and folders of JPEG and PNG images. */
final class ImageInputs {

    private ImageInputs() {}

    /** Files as given, folders replaced by their JPEG and PNG files in sorted order. */
    static List<Path> expand(List<Path> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile)
                            .filter(ImageFiles::isImageName)
                            .sorted()
                            .forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else if (Files.exists(p)) {
                throw new IllegalArgumentException(
                        p + ": not a regular file (a pipe or device would be waited on " + "forever)");
            } else {
                throw new IllegalArgumentException(p + ": no such file or folder");
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no JPEG or PNG images in " + inputs);
        }
        return files;
    }
}
