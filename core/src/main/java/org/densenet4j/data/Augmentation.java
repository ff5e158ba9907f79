package org.densenet4j.data;

import java.util.SplittableRandom;

/**
 * The paper's "+" augmentation: a random crop of the image zero-padded by 4 pixels on each side,
 * then a horizontal flip with probability 1/2. Padding uses black pixels before normalisation,
 * as torchvision's {@code RandomCrop(size, padding=4)} does. Either part can be left out: images whose
 * orientation matters (digits, text) must not be mirrored.
 */
public final class Augmentation {

    private final int padding;
    private final boolean crops;
    private final boolean flips;

    public Augmentation(int padding) {
        this(padding, true, true);
    }

    /** Random crops of {@code padding} pixels when {@code crops}, horizontal flips when {@code flips}. */
    public Augmentation(int padding, boolean crops, boolean flips) {
        if (padding < 0) {
            throw new IllegalArgumentException("padding must be >= 0, got " + padding);
        }
        this.padding = padding;
        this.crops = crops;
        this.flips = flips;
    }

    /** The paper's setting: 4-pixel padding, crops and flips. */
    public static Augmentation paperDefault() {
        return new Augmentation(4);
    }

    /** The paper's 4-pixel crops and its flips, each if asked for; null for neither. */
    public static Augmentation of(AugmentationKind kind) {
        return kind == AugmentationKind.NONE ? null : new Augmentation(4, kind.crops(), kind.flips());
    }

    /** Whether images are cropped at random (for the ImageNet pipeline: a random resized crop). */
    public boolean crops() {
        return crops;
    }

    /** Whether images are mirrored with probability 1/2. */
    public boolean flips() {
        return flips;
    }

    /**
     * Returns a randomly shifted and possibly mirrored copy of CHW {@code pixels}.
     *
     * @param random a generator seeded per image, which keeps the result independent of thread timing
     */
    public byte[] apply(byte[] pixels, int channels, int height, int width, SplittableRandom random) {
        // Every draw is made whatever is applied, so that a part left out does not change the other's choices.
        int dy = random.nextInt(2 * padding + 1) - padding;
        int dx = random.nextInt(2 * padding + 1) - padding;
        boolean flip = random.nextBoolean() && flips;
        if (!crops) {
            dy = 0;
            dx = 0;
        }
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
