package org.densenet4j.data;

/**
 * The evaluation preprocessing of torchvision's ImageNet models: the shorter side resized to {@code resize} pixels
 * with PIL's antialiased bilinear filter ({@link AntialiasedResize}), then the central {@code crop} x {@code crop}
 * square ({@code Resize(256)} + {@code CenterCrop(224)}, computed exactly as torchvision 0.14 computes the sizes and
 * offsets).
 *
 * @param resize the shorter side after resizing (256 for ImageNet)
 * @param crop the side of the central square kept (224 for ImageNet)
 */
public record ResizeAndCrop(int resize, int crop) {

    /** torchvision's ImageNet evaluation: Resize(256) + CenterCrop(224). */
    public static final ResizeAndCrop IMAGENET = new ResizeAndCrop(256, 224);

    public ResizeAndCrop {
        if (resize < 1 || crop < 1 || crop > 4096 || resize > 4096) {
            throw new IllegalArgumentException("resize " + resize + " and crop " + crop + " must be in 1..4096");
        }
    }

    /** Planar 8-bit pixels (C, H, W) of any size to (C, crop, crop). */
    public byte[] apply(byte[] pixels, int channels, int height, int width) {
        // torchvision: the shorter side becomes `resize`, the longer int(resize * long / short).
        int outHeight;
        int outWidth;
        if (width <= height) {
            outWidth = resize;
            outHeight = (int) ((long) resize * height / width);
        } else {
            outHeight = resize;
            outWidth = (int) ((long) resize * width / height);
        }
        byte[] resized = AntialiasedResize.resize(pixels, channels, height, width, outHeight, outWidth);
        return centerCrop(resized, channels, outHeight, outWidth, crop, crop);
    }

    /**
     * The central {@code cropHeight} x {@code cropWidth} region, offsets rounded as Python's {@code round} does (half
     * to even), as torchvision's {@code CenterCrop}; a region larger than the image is padded with zeros around it.
     */
    public static byte[] centerCrop(byte[] pixels, int channels, int height, int width, int cropHeight, int cropWidth) {
        int top = offset(height, cropHeight);
        int left = offset(width, cropWidth);
        byte[] out = new byte[channels * cropHeight * cropWidth];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < cropHeight; y++) {
                int sy = top + y;
                if (sy < 0 || sy >= height) {
                    continue;
                }
                for (int x = 0; x < cropWidth; x++) {
                    int sx = left + x;
                    if (sx >= 0 && sx < width) {
                        out[(c * cropHeight + y) * cropWidth + x] = pixels[(c * height + sy) * width + sx];
                    }
                }
            }
        }
        return out;
    }

    /** Where the crop starts: torchvision pads (crop - size) // 2 before a smaller image. */
    private static int offset(int size, int crop) {
        return crop > size ? -((crop - size) / 2) : (int) Math.rint((size - crop) / 2.0);
    }
}
