package org.densenet4j.data;

import java.nio.file.Path;

/** An image whose header declares more pixels, or a longer side, than allowed; refused before its pixels were decoded. */
public final class ImageTooLargeException extends UnreadableImageException {

    public ImageTooLargeException(Path file, String problem) {
        super(file, problem);
    }
}
