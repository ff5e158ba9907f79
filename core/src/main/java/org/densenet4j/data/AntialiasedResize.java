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
        if (channels < 1 || height < 1 || width < 1 || outHeight < 1 || outWidth < 1) {
            throw new IllegalArgumentException("cannot resize a " + channels + "x" + height + "x" + width + " image to "
                    + outHeight + "x" + outWidth + ": sizes must be positive");
        }
        if (pixels.length != channels * height * width) {
            throw new IllegalArgumentException(
                    pixels.length + " bytes do not hold a " + channels + "x" + height + "x" + width + " image");
        }
        byte[] horizontal = pixels;
        int rows = height;
        if (outWidth != width) {
            horizontal = pass(pixels, channels, height, width, outWidth, true);
        }
        if (outHeight == rows) {
            return horizontal == pixels ? pixels.clone() : horizontal;
        }
        return pass(horizontal, channels, rows, outWidth, outHeight, false);
    }

    /**
     * One separable pass: along rows ({@code alongWidth}) from {@code width} to {@code outSize} columns, or along
     * columns from {@code height} to {@code outSize} rows.
     */
    private static byte[] pass(byte[] in, int channels, int height, int width, int outSize, boolean alongWidth) {
        int inSize = alongWidth ? width : height;
        Coefficients k = Coefficients.of(inSize, outSize);
        int outH = alongWidth ? height : outSize;
        int outW = alongWidth ? outSize : width;
        byte[] out = new byte[channels * outH * outW];
        for (int c = 0; c < channels; c++) {
            int inPlane = c * height * width;
            int outPlane = c * outH * outW;
            for (int y = 0; y < outH; y++) {
                for (int x = 0; x < outW; x++) {
                    int o = alongWidth ? x : y;
                    int first = k.first[o];
                    long sum = 1L << (PRECISION_BITS - 1);
                    for (int i = 0; i < k.count[o]; i++) {
                        int src = alongWidth ? inPlane + y * width + first + i : inPlane + (first + i) * width + x;
                        sum += (in[src] & 0xff) * (long) k.weights[o * k.size + i];
                    }
                    out[outPlane + y * outW + x] = clip8(sum);
                }
            }
        }
        return out;
    }

    private static byte clip8(long value) {
        long v = value >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : v > 255 ? 255 : v);
    }

    /** Pillow's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc} for the bilinear filter. */
    private record Coefficients(int[] first, int[] count, int[] weights, int size) {

        static Coefficients of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = 1.0 * filterScale; // the bilinear filter's support is 1
            int size = (int) Math.ceil(support) * 2 + 1;
            int[] first = new int[outSize];
            int[] count = new int[outSize];
            int[] weights = new int[outSize * size];
            double[] w = new double[size];
            for (int o = 0; o < outSize; o++) {
                double center = (o + 0.5) * scale;
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

        private static double triangle(double x) {
            double a = Math.abs(x);
            return a < 1.0 ? 1.0 - a : 0.0;
        }
    }
}
