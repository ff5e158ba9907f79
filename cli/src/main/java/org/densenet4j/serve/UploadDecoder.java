package org.densenet4j.serve;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Turns uploaded bytes into an image, refusing empty, oversized and non-image uploads. */
final class UploadDecoder {

    private final UploadLimits limits;

    UploadDecoder(UploadLimits limits) {
        this.limits = limits;
    }

    BufferedImage decode(byte[] bytes) throws BadUploadException {
        if (bytes == null || bytes.length == 0) {
            throw new BadUploadException(400, "empty upload: send a JPEG or PNG image as the body or as multipart "
                    + "field 'image'");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new BadUploadException(413, "upload of " + bytes.length + " bytes exceeds the limit of "
                    + limits.maxBytes());
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new BadUploadException(415, "not a JPEG or PNG image");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > limits.maxPixels()) {
                    throw new BadUploadException(413, "image of " + reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " exceeds the limit of " + limits.maxPixels() + " pixels");
                }
                BufferedImage image = reader.read(0);
                if (image == null) {
                    throw new BadUploadException(415, "not a readable image");
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new BadUploadException(400, "malformed image: " + e.getMessage());
        }
    }
}
