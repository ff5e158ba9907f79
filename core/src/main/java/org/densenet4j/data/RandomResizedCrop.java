package org.densenet4j.data;

import java.util.SplittableRandom;

/**
 * torchvision's {@code RandomResizedCrop(size)} followed by {@code RandomHorizontalFlip()}, the training augmentation
 * of the ImageNet models: a random region covering 8% to 100% of the image with an aspect ratio between 3/4 and 4/3
 * (log-uniform), resized to {@code size} x {@code size} with PIL's antialiased filter ({@link AntialiasedResize}),
 * then mirrored with probability 1/2. The region is drawn exactly as torchvision draws it (ten tries, then the
 * central crop), from a generator seeded per image.
 *
 * @param size the side of the square produced
 * @param flips mirror with probability 1/2 (torchvision's training pipeline does)
 */
public record RandomResizedCrop(int size, boolean flips) {

    private static final double MIN_SCALE = 0.08;
    private static final double MAX_SCALE = 1.0;
    private static final double MIN_RATIO = 3.0 / 4.0;
    private static final double MAX_RATIO = 4.0 / 3.0;

    /** The crop followed by random flips, as torchvision trains. */
    public RandomResizedCrop(int size) {
        this(size, true);
    }

    public RandomResizedCrop {
        if (size < 1 || size > 4096) {
            throw new IllegalArgumentException("crop size must be in 1..4096, got " + size);
        }
    }

    /** A random region of planar 8-bit pixels (C, H, W), resized to (C, size, size) and perhaps mirrored. */
    public byte[] apply(byte[] pixels, int channels, int height, int width, SplittableRandom random) {
        int[] region = region(height, width, random); // top, left, height, width
        byte[] cut = crop(pixels, channels, height, width, region);
        byte[] resized = AntialiasedResize.resize(cut, channels, region[2], region[3], size, size);
        return random.nextBoolean() && flips ? mirrored(resized, channels, size, size) : resized;
    }

    /** torchvision's {@code RandomResizedCrop.get_params}. */
    static int[] region(int height, int width, SplittableRandom random) {
        double area = (double) height * width;
        double logMin = Math.log(MIN_RATIO);
        double logMax = Math.log(MAX_RATIO);
        for (int attempt = 0; attempt < 10; attempt++) {
            double targetArea = area * (MIN_SCALE + (MAX_SCALE - MIN_SCALE) * random.nextDouble());
            double aspect = Math.exp(logMin + (logMax - logMin) * random.nextDouble());
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int top = random.nextInt(height - h + 1);
                int left = random.nextInt(width - w + 1);
                return new int[] {top, left, h, w};
            }
        }
        double ratio = (double) width / height;
        int w;
        int h;
        if (ratio < MIN_RATIO) {
            w = width;
            h = (int) Math.rint(w / MIN_RATIO);
        } else if (ratio > MAX_RATIO) {
            h = height;
            w = (int) Math.rint(h * MAX_RATIO);
        } else {
            w = width;
            h = height;
        }
        return new int[] {(height - h) / 2, (width - w) / 2, h, w};
    }

    private static byte[] crop(byte[] pixels, int channels, int height, int width, int[] region) {
        int top = region[0];
        int left = region[1];
        int h = region[2];
        int w = region[3];
        byte[] out = new byte[channels * h * w];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < h; y++) {
                System.arraycopy(pixels, (c * height + top + y) * width + left, out, (c * h + y) * w, w);
            }
        }
        return out;
    }

    /** Planar pixels mirrored left to right. */
    static byte[] mirrored(byte[] pixels, int channels, int height, int width) {
        byte[] out = new byte[pixels.length];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                int row = (c * height + y) * width;
                for (int x = 0; x < width; x++) {
                    out[row + x] = pixels[row + width - 1 - x];
                }
            }
        }
        return out;
    }
}
