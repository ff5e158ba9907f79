package org.densenet4j.serve;

/**
 * What the service accepts.
 *
 * @param maxBytes largest upload
 * @param maxPixels largest width times height, checked from the image header before decoding
 */
public record UploadLimits(long maxBytes, long maxPixels) {

    public static UploadLimits defaults() {
        return new UploadLimits(10L << 20, 4096L * 4096);
    }
}
