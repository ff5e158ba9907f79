package org.densenet4j.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Converts a decoded image of any size and colour mode to the pixels a model expects: resized to
 * height x width (bilinear) and reduced to grey or RGB, CHW bytes.
 *
 * <p>Grey uses ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B), as PIL's {@code convert("L")} does;
 * alpha is dropped, as PIL's {@code convert("RGB")} does.
 */
public final class ImageConverter {

    private final int channels;
    private final int height;
    private final int width;
    private final ResizeAndCrop resizeAndCrop;

    /** Images squashed to {@code height} x {@code width} (the aspect ratio is not kept). */
    public ImageConverter(int channels, int height, int width) {
        this(channels, height, width, null);
    }

    /**
     * Images resized and cropped by {@code resizeAndCrop} (torchvision's ImageNet evaluation pipeline), or squashed
     * when it is null.
     *
     * @throws IllegalArgumentException if the crop is not {@code height} x {@code width}
     */
    public ImageConverter(int channels, int height, int width, ResizeAndCrop resizeAndCrop) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (resizeAndCrop != null) {
            resizeAndCrop.checkFeeds(height, width);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.resizeAndCrop = resizeAndCrop;
    }

    public byte[] toPixels(BufferedImage image) {
        if (resizeAndCrop != null) {
            return resizeAndCrop.apply(planar(image, channels), channels, image.getHeight(), image.getWidth());
        }
        image = rawGrey(image);
        BufferedImage sized = image.getWidth() == width && image.getHeight() == height ? image : resize(image);
        return planar(sized, channels);
    }

    /**
     * The image as an augmented training epoch sees it: {@code augmentation} (the paper's "+") applied to
     * {@link #toPixels}; with {@code resizeAndCrop} (the ImageNet pipeline), a {@link RandomResizedCrop} and flip
     * drawn from the full image instead, as torchvision trains those models, or, without crops, the evaluation
     * pipeline's resize and center crop mirrored with probability 1/2.
     *
     * @param random a generator seeded per image, which keeps the result independent of thread timing
     */
    public byte[] augmentedPixels(BufferedImage image, Augmentation augmentation, java.util.SplittableRandom random) {
        if (resizeAndCrop == null) {
            return augmentation.apply(toPixels(image), channels, height, width, random);
        }
        if (!augmentation.crops()) {
            byte[] pixels = toPixels(image);
            return random.nextBoolean()
                    ? RandomResizedCrop.mirrored(pixels, channels, resizeAndCrop.crop(), resizeAndCrop.crop())
                    : pixels;
        }
        return new RandomResizedCrop(resizeAndCrop.crop(), augmentation.flips())
                .apply(planar(image, channels), channels, image.getHeight(), image.getWidth(), random);
    }

    /**
     * The image at its own size as planar 8-bit pixels (C, H, W): grey images as their stored levels, colour ones as
     * R, G, B planes, or as ITU-R 601 luma for {@code channels} 1.
     */
    public static byte[] planar(BufferedImage image, int channels) {
        image = rawGrey(image);
        int height = image.getHeight();
        int width = image.getWidth();
        byte[] out = new byte[channels * height * width];
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = image.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                int i = y * width + x;
                if (channels == 1) {
                    out[i] = (byte) Math.round(0.299 * r + 0.587 * g + 0.114 * b);
                } else {
                    out[i] = (byte) r;
                    out[plane + i] = (byte) g;
                    out[2 * plane + i] = (byte) b;
                }
            }
        }
        return out;
    }

    /**
     * A grey image's stored levels as an RGB image. Java treats 8- and 16-bit grey images as linear light and
     * brightens them when converting to RGB (a level of 128 reads as 186), while PNG and JPEG grey levels, like
     * the IDX bytes a model is trained on, are already gamma-encoded: the stored levels are what the model must see.
     */
    private static BufferedImage rawGrey(BufferedImage image) {
        int type = image.getType();
        if (type != BufferedImage.TYPE_BYTE_GRAY && type != BufferedImage.TYPE_USHORT_GRAY) {
            return image;
        }
        int shift = type == BufferedImage.TYPE_USHORT_GRAY ? 8 : 0;
        BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        java.awt.image.Raster raster = image.getRaster();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int v = raster.getSample(x, y, 0) >> shift;
                rgb.setRGB(x, y, (v << 16) | (v << 8) | v);
            }
        }
        return rgb;
    }

    private BufferedImage resize(BufferedImage image) {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, width, height, null);
        g.dispose();
        return out;
    }

    /** The inverse for grey or RGB CHW bytes, to write sample images. */
    public static BufferedImage toImage(byte[] pixels, int channels, int height, int width) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = y * width + x;
                int r = pixels[i] & 0xff;
                int g = channels == 1 ? r : pixels[plane + i] & 0xff;
                int b = channels == 1 ? r : pixels[2 * plane + i] & 0xff;
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }
}
