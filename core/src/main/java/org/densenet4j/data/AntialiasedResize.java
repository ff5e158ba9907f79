package org.densenet4j.data;

/**
 * Resizing as PIL's {@code Image.resize(size, BILINEAR)} does it, which is what torchvision 0.14's {@code Resize}
 * does to PIL images, so that a model trained in PyTorch sees the same pixels here: a triangle filter whose support
 * widens with the downscaling factor (antialiasing), fixed-point weights of 22 bits, a horizontal pass into an 8-bit
 * image, then a vertical pass (Pillow's {@code Resample.c}). Images are planar 8-bit (C, H, W), as {@link
 * ImageConverter} makes them.
 */
public final class AntialiasedResize {

    /** Pillow's fixed-point precision for 8-bit images: 32 - 8 - 2 bits. */
    private static final int PRECISION_BITS = 22;

    private AntialiasedResize() {}

    /**
     * Resizes {@code pixels} (channels x height x width) to {@code outHeight} x {@code outWidth}.
     *
     * @throws IllegalArgumentException if a size is not positive or the array does not hold the image
     */
    public static byte[] resize(byte[] pixels, int channels, int height, int width, int outHeight, int outWidth) {
        return resizeRegion(pixels, channels, height, width, outHeight, outWidth, 0, 0, outHeight, outWidth);
    }

    /**
     * Rows {@code top..top+rows} and columns {@code left..left+cols} of the image resized to {@code outHeight} x
     * {@code outWidth}, computed without the rest: each output pixel depends only on its own position, so the values
     * are those of the whole resize, while the work and memory are bounded by the region. This is what keeps
     * Resize(256) + CenterCrop(224) of a 1 x 60,000 image small (its full resize would hold 15 million rows).
     *
     * @throws IllegalArgumentException if a size is not positive, the region is outside the resized image, or the
     *     array does not hold the image
     */
    public static byte[] resizeRegion(
            byte[] pixels,
            int channels,
            int height,
            int width,
            long outHeight,
            long outWidth,
            long top,
            long left,
            int rows,
            int cols) {
        if (channels < 1 || height < 1 || width < 1 || outHeight < 1 || outWidth < 1) {
            throw new IllegalArgumentException("cannot resize a " + channels + "x" + height + "x" + width + " image to "
                    + outHeight + "x" + outWidth + ": sizes must be positive");
        }
        if (pixels.length != channels * height * width) {
            throw new IllegalArgumentException(
                    pixels.length + " bytes do not hold a " + channels + "x" + height + "x" + width + " image");
        }
        if (top < 0 || left < 0 || rows < 1 || cols < 1 || top + rows > outHeight || left + cols > outWidth) {
            throw new IllegalArgumentException("region " + rows + "x" + cols + " at (" + top + ", " + left
                    + ") is outside a " + outHeight + "x" + outWidth + " image");
        }
        // Like Pillow, a pass whose size does not change is skipped.
        Coefficients horizontal = outWidth != width ? Coefficients.of(width, outWidth, left, cols) : null;
        Coefficients vertical = outHeight != height ? Coefficients.of(height, outHeight, top, rows) : null;
        int firstRow = vertical != null ? vertical.lowestInput() : (int) top;
        int midRows = vertical != null ? vertical.highestInputEnd() - firstRow : rows;

        // Horizontal pass over only the input rows the vertical pass reads (Pillow's ybox).
        byte[] mid = new byte[channels * midRows * cols];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < midRows; y++) {
                int in = (c * height + firstRow + y) * width;
                int out = (c * midRows + y) * cols;
                for (int x = 0; x < cols; x++) {
                    mid[out + x] =
                            horizontal == null ? pixels[in + (int) left + x] : horizontal.apply(pixels, in, 1, x);
                }
            }
        }
        if (vertical == null) {
            return mid;
        }
        byte[] out = new byte[channels * rows * cols];
        for (int c = 0; c < channels; c++) {
            int plane = c * midRows * cols;
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    out[(c * rows + y) * cols + x] = vertical.apply(mid, plane - firstRow * cols + x, cols, y);
                }
            }
        }
        return out;
    }

    /**
     * Pillow's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc} for the bilinear filter, for {@code count}
     * outputs from {@code firstOutput} on.
     */
    private record Coefficients(int[] first, int[] count, int[] weights, int size) {

        static Coefficients of(int inSize, long outSize, long firstOutput, int outputs) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = 1.0 * filterScale; // the bilinear filter's support is 1
            int size = (int) Math.ceil(support) * 2 + 1;
            int[] first = new int[outputs];
            int[] count = new int[outputs];
            int[] weights = new int[outputs * size];
            double[] w = new double[size];
            for (int o = 0; o < outputs; o++) {
                double center = (firstOutput + o + 0.5) * scale;
                double inverse = 1.0 / filterScale;
                int min = Math.max((int) (center - support + 0.5), 0);
                int max = Math.min((int) (center + support + 0.5), inSize) - min;
                double total = 0;
                for (int i = 0; i < max; i++) {
                    w[i] = triangle((i + min - center + 0.5) * inverse);
                    total += w[i];
                }
                for (int i = 0; i < max; i++) {
                    double normalised = total != 0 ? w[i] / total : w[i];
                    weights[o * size + i] = (int)
                            (normalised < 0
                                    ? -0.5 + normalised * (1 << PRECISION_BITS)
                                    : 0.5 + normalised * (1 << PRECISION_BITS));
                }
                first[o] = min;
                count[o] = max;
            }
            return new Coefficients(first, count, weights, size);
        }

        /** The first input index any output reads. */
        int lowestInput() {
            return first[0]; // outputs read ever later inputs
        }

        /** One past the last input index any output reads. */
        int highestInputEnd() {
            int end = 0;
            for (int o = 0; o < first.length; o++) {
                end = Math.max(end, first[o] + count[o]);
            }
            return end;
        }

        /**
         * Output {@code o} (relative to the first computed), reading {@code in[base + i * stride]} for the input
         * indices {@code i} of its window.
         */
        byte apply(byte[] in, int base, int stride, int o) {
            long sum = 1L << (PRECISION_BITS - 1);
            int start = base + first[o] * stride;
            for (int i = 0; i < count[o]; i++) {
                sum += (in[start + i * stride] & 0xff) * (long) weights[o * size + i];
            }
            long v = sum >> PRECISION_BITS;
            return (byte) (v < 0 ? 0 : v > 255 ? 255 : v);
        }

        private static double triangle(double x) {
            double a = Math.abs(x);
            return a < 1.0 ? 1.0 - a : 0.0;
        }
    }
}
