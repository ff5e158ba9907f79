package org.densenet4j.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image files and bytes, turning every failure into an {@link UnreadableImageException}. The image
 * size is read from the header and checked before the pixels are decoded, so a small file declaring a huge
 * image (a decompression bomb) is refused without allocating it.
 */
public final class ImageFiles {

    /** The most pixels a file may declare by default: 64 megapixels, above any camera's photograph. */
    public static final long MAX_PIXELS = 8192L * 8192;

    private ImageFiles() {}

    /** True for names ending in .jpg, .jpeg or .png, in any case. */
    public static boolean isImageName(Path file) {
        String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
    }

    /** Reads an image file of at most {@link #MAX_PIXELS} pixels. */
    public static BufferedImage read(Path file) throws UnreadableImageException {
        if (!Files.isRegularFile(file)) {
            // A named pipe or device would block or never end: only regular files are read.
            throw new UnreadableImageException(file, Files.exists(file) ? "not a regular file" : "no such file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return decode(in, file, MAX_PIXELS);
        } catch (UnreadableImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new UnreadableImageException(file, "cannot decode image: " + e.getMessage());
        }
    }

    /** Decodes bytes from {@code in} with the default pixel limit; {@code name} names the source in errors. */
    public static BufferedImage decode(InputStream in, Path name) throws UnreadableImageException {
        return decode(in, name, MAX_PIXELS);
    }

    /**
     * Decodes bytes from {@code in}, refusing an image that declares more than {@code maxPixels} pixels before
     * decoding it.
     *
     * @throws ImageTooLargeException if the header declares too many pixels
     * @throws UnreadableImageException if the bytes are not a readable image
     */
    public static BufferedImage decode(InputStream in, Path name, long maxPixels) throws UnreadableImageException {
        return decode(in, name, maxPixels, Integer.MAX_VALUE);
    }

    /**
     * Decodes bytes from {@code in}, refusing an image that declares more than {@code maxPixels} pixels, or a side
     * longer than {@code maxSide}, before decoding it. The side bound is what keeps a 1 x 16,000,000 strip (few
     * pixels, absurd shape) from reaching code that scales or draws it.
     *
     * @throws ImageTooLargeException if the header declares too many pixels or too long a side
     * @throws UnreadableImageException if the bytes are not a readable image
     */
    public static BufferedImage decode(InputStream in, Path name, long maxPixels, int maxSide)
            throws UnreadableImageException {
        try (ImageInputStream stream = ImageIO.createImageInputStream(in)) {
            Iterator<ImageReader> readers = stream == null ? null : ImageIO.getImageReaders(stream);
            if (readers == null || !readers.hasNext()) {
                throw new UnreadableImageException(name, "not a JPEG or PNG image");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(stream);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if ((long) width * height > maxPixels) {
                    throw new ImageTooLargeException(
                            name,
                            "image of " + width + "x" + height + " exceeds the limit of " + maxPixels + " pixels");
                }
                if (Math.max(width, height) > maxSide) {
                    throw new ImageTooLargeException(
                            name,
                            "image of " + width + "x" + height + " exceeds the limit of " + maxSide + " pixels a side");
                }
                BufferedImage image = reader.read(0);
                if (image == null) {
                    throw new UnreadableImageException(name, "not a readable image");
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (UnreadableImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new UnreadableImageException(name, "cannot decode image: " + e.getMessage());
        }
    }
}
