package org.densenet4j.serve;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.data.ImageTooLargeException;
import org.densenet4j.data.UnreadableImageException;

/** Turns uploaded bytes into an image, refusing empty, oversized and non-image uploads. */
final class UploadDecoder {

    /** How an upload is named in decoding errors (stripped from the answer). */
    private static final Path UPLOAD = Path.of("upload");

    private final UploadLimits limits;

    UploadDecoder(UploadLimits limits) {
        this.limits = limits;
    }

    BufferedImage decode(byte[] bytes) throws BadUploadException {
        if (bytes == null || bytes.length == 0) {
            throw new BadUploadException(
                    400, "empty upload: send a JPEG or PNG image as the body or as multipart " + "field 'image'");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new BadUploadException(
                    413, "upload of " + bytes.length + " bytes exceeds the limit of " + limits.maxBytes());
        }
        try {
            return ImageFiles.decode(new ByteArrayInputStream(bytes), UPLOAD, limits.maxPixels());
        } catch (ImageTooLargeException e) {
            throw new BadUploadException(
                    413, e.getMessage().substring(UPLOAD.toString().length() + 2));
        } catch (UnreadableImageException e) {
            String problem = e.getMessage().substring(UPLOAD.toString().length() + 2);
            throw problem.startsWith("not a ")
                    ? new BadUploadException(415, problem)
                    : new BadUploadException(400, "malformed image: " + problem);
        }
    }
}
