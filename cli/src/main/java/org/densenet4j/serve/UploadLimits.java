package org.densenet4j.serve;

/**
 * What the service accepts.
 *
 * @param maxBytes largest upload
 * @param maxPixels largest width times height, checked from the image header before decoding
 * @param maxSide longest width or height, checked from the image header before decoding: an image of absurd shape
 *     (1 x 16,000,000) has few pixels but would still be scaled and drawn at its length
 */
public record UploadLimits(long maxBytes, long maxPixels, int maxSide) {

    public UploadLimits {
        if (maxBytes < 1 || maxPixels < 1 || maxSide < 1) {
            throw new IllegalArgumentException("upload limits must be at least 1, got " + maxBytes + " bytes, "
                    + maxPixels + " pixels and " + maxSide + " pixels a side");
        }
    }

    /** 10 MB, 16 megapixels (4096 x 4096), 16384 pixels a side. */
    public static UploadLimits defaults() {
        return new UploadLimits(10L << 20, 4096L * 4096, 16384);
    }
}
