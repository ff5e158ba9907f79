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

    /**
     * Checks that this pipeline's crop is the {@code height} x {@code width} input it is meant to feed.
     *
     * @throws IllegalArgumentException naming both sizes
     */
    public void checkFeeds(int height, int width) {
        if (crop != height || crop != width) {
            throw new IllegalArgumentException("a crop of " + crop + " cannot feed a " + height + "x" + width
                    + " input: give both the same image size");
        }
    }

    /**
     * Planar 8-bit pixels (C, H, W) of any size to (C, crop, crop). Only the kept region is resized ({@link
     * AntialiasedResize#resizeRegion}), so an image of extreme aspect ratio costs no more than the crop.
     */
    public byte[] apply(byte[] pixels, int channels, int height, int width) {
        // torchvision: the shorter side becomes `resize`, the longer int(resize * long / short).
        long outHeight;
        long outWidth;
        if (width <= height) {
            outWidth = resize;
            outHeight = (long) resize * height / width;
        } else {
            outHeight = resize;
            outWidth = (long) resize * width / height;
        }
        long top = offset(outHeight, crop);
        long left = offset(outWidth, crop);
        long firstRow = Math.max(top, 0);
        long firstCol = Math.max(left, 0);
        int rows = (int) (Math.min(top + crop, outHeight) - firstRow);
        int cols = (int) (Math.min(left + crop, outWidth) - firstCol);
        byte[] kept = AntialiasedResize.resizeRegion(
                pixels, channels, height, width, outHeight, outWidth, firstRow, firstCol, rows, cols);
        // A resized side shorter than the crop is padded around, as torchvision pads.
        return rows == crop && cols == crop ? kept : centerCrop(kept, channels, rows, cols, crop, crop);
    }

    /**
     * The central {@code cropHeight} x {@code cropWidth} region, offsets rounded as Python's {@code round} does (half
     * to even), as torchvision's {@code CenterCrop}; a region larger than the image is padded with zeros around it.
     */
    public static byte[] centerCrop(byte[] pixels, int channels, int height, int width, int cropHeight, int cropWidth) {
        int top = (int) offset(height, cropHeight);
        int left = (int) offset(width, cropWidth);
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
    private static long offset(long size, int crop) {
        return crop > size ? -((crop - size) / 2) : (long) Math.rint((size - crop) / 2.0);
    }
}
