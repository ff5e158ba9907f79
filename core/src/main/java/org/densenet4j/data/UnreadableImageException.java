package org.densenet4j.data;

import java.io.IOException;
import java.nio.file.Path;

/** One image that cannot be decoded. Pipelines skip such an image with a warning and count it. */
public class UnreadableImageException extends IOException {

    private final Path file;

    public UnreadableImageException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
