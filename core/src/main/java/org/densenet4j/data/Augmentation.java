package org.densenet4j.data;

import java.util.SplittableRandom;

/**
 * The paper's "+" augmentation: a random crop of the image zero-padded by 4 pixels on each side,
 * then a horizontal flip with probability 1/2. Padding uses black pixels before normalisation,
 * as torchvision's {@code RandomCrop(size, padding=4)} does.
 */
public final class Augmentation {

    private final int padding;

    public Augmentation(int padding) {
        if (padding < 0) {
            throw new IllegalArgumentException("padding must be >= 0, got " + padding);
        }
        this.padding = padding;
    }

    /** The paper's setting: 4-pixel padding. */
    public static Augmentation paperDefault() {
        return new Augmentation(4);
    }

    /**
     * Returns a randomly shifted and possibly mirrored copy of CHW {@code pixels}.
     *
     * @param random a generator seeded per image, which keeps the result independent of thread timing
     */
    public byte[] apply(byte[] pixels, int channels, int height, int width, SplittableRandom random) {
        int dy = random.nextInt(2 * padding + 1) - padding;
        int dx = random.nextInt(2 * padding + 1) - padding;
        boolean flip = random.nextBoolean();
        byte[] out = new byte[pixels.length];
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                int sy = y + dy;
                if (sy < 0 || sy >= height) {
                    continue;
                }
                for (int x = 0; x < width; x++) {
                    int sx = (flip ? width - 1 - x : x) + dx;
                    if (sx >= 0 && sx < width) {
                        out[c * plane + y * width + x] = pixels[c * plane + sy * width + sx];
                    }
                }
            }
        }
        return out;
    }
}
