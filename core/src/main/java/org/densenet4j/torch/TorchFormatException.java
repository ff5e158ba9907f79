package org.densenet4j.torch;

import java.io.IOException;
import java.nio.file.Path;

/** A PyTorch file that cannot be read safely or is not what it should be; the message names the file. */
public class TorchFormatException extends IOException {

    public TorchFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public TorchFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
