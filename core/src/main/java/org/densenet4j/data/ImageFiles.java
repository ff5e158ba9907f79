package org.densenet4j.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Decodes image files and bytes, turning every failure into an {@link UnreadableImageException}. */
public final class ImageFiles {

    private ImageFiles() {}

    /** True for names ending in .jpg, .jpeg or .png, in any case. */
    public static boolean isImageName(Path file) {
        String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
    }

    public static BufferedImage read(Path file) throws UnreadableImageException {
        try (InputStream in = Files.newInputStream(file)) {
            return decode(in, file);
        } catch (UnreadableImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new UnreadableImageException(file, "cannot decode image: " + e.getMessage());
        }
    }

    /** Decodes bytes from {@code in}; {@code name} names the source in the error. */
    public static BufferedImage decode(InputStream in, Path name) throws UnreadableImageException {
        try {
            BufferedImage img = ImageIO.read(in);
            if (img == null) {
                throw new UnreadableImageException(name, "not a readable JPEG or PNG image");
            }
            return img;
        } catch (UnreadableImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new UnreadableImageException(name, "cannot decode image: " + e.getMessage());
        }
    }
}
