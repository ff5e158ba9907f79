package org.densenet4j.serve;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.data.ImageTooLargeException;
import org.densenet4j.data.UnreadableImageException;

/**
 * Turns an upload (a raw body, or multipart field {@code image}) into an image, refusing empty, oversized and
 * non-image uploads; the pixel count and each side are checked from the image header before decoding.
 */
final class UploadDecoder {

    /** How an upload is named in decoding errors (stripped from the answer). */
    private static final Path UPLOAD = Path.of("upload");

    private final UploadLimits limits;

    UploadDecoder(UploadLimits limits) {
        this.limits = limits;
    }

    /** The image in {@code body}, sent with {@code contentType} (null when the client sent none). */
    BufferedImage decode(Upload body, String contentType) throws BadUploadException {
        if (contentType != null
                && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/")) {
            byte[] field = MultipartImage.extract(body, contentType, limits);
            return decode(new ByteArrayInputStream(field), field.length);
        }
        return decode(body.stream(), body.length());
    }

    private BufferedImage decode(InputStream bytes, long length) throws BadUploadException {
        if (length == 0) {
            throw new BadUploadException(
                    400, "empty upload: send a JPEG or PNG image as the body or as multipart field 'image'");
        }
        if (length > limits.maxBytes()) {
            throw new BadUploadException(
                    413, "upload of " + length + " bytes exceeds the limit of " + limits.maxBytes());
        }
        try {
            return ImageFiles.decode(bytes, UPLOAD, limits.maxPixels(), limits.maxSide());
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
