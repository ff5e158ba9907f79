package org.densenet4j.data;

import java.io.IOException;
import java.nio.file.Path;

/** A dataset file that is missing, truncated or not in the expected format; the message names it. */
public class InvalidDatasetException extends IOException {

    public InvalidDatasetException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public InvalidDatasetException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }

    public InvalidDatasetException(String message) {
        super(message);
    }
}
