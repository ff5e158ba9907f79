package org.densenet4j.serve;

import jakarta.servlet.MultipartConfigElement;
import jakarta.servlet.http.Part;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.server.MultiPartFormInputStream;

/**
 * Field {@code image} of a multipart upload that has been read whole: parsed by Jetty's multipart parser from
 * memory, every part kept in memory (the whole body is already within the limit, so nothing is spooled to disk),
 * and at most {@link #MAX_PARTS} parts.
 */
final class MultipartImage {

    /** Room for the image and a few form fields; a body of thousands of tiny parts is refused. */
    static final int MAX_PARTS = 16;

    private MultipartImage() {}

    /**
     * The bytes of field {@code image}.
     *
     * @throws BadUploadException 400 for a malformed body or a missing field, 413 for a field over the limit
     */
    static byte[] extract(Upload body, String contentType, UploadLimits limits) throws BadUploadException {
        long total = body.length() + 1L;
        MultipartConfigElement config =
                new MultipartConfigElement(System.getProperty("java.io.tmpdir"), limits.maxBytes(), total, (int)
                        Math.min(Integer.MAX_VALUE, total));
        MultiPartFormInputStream parts = new MultiPartFormInputStream(
                body.stream(), contentType, config, new File(System.getProperty("java.io.tmpdir")), MAX_PARTS);
        try {
            Part image = parts.getPart("image");
            if (image == null) {
                throw new BadUploadException(400, "multipart upload without an 'image' field");
            }
            try (InputStream in = image.getInputStream()) {
                return in.readAllBytes();
            }
        } catch (IOException | RuntimeException e) { // Jetty reports every parse failure as one of these
            String message = String.valueOf(e.getMessage());
            if (message.contains("exceeds")) {
                throw new BadUploadException(413, "upload exceeds the limit of " + limits.maxBytes() + " bytes");
            }
            throw new BadUploadException(400, "malformed multipart upload: " + message);
        } finally {
            parts.deleteParts();
        }
    }
}
