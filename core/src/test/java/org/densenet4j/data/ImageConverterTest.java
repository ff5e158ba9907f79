package org.densenet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** A grey PNG's stored levels reach the model unchanged, as the IDX bytes it was trained on do. */
class ImageConverterTest {

    @Test
    void greyLevelsAreReadAsStoredNotAsLinearLight() throws Exception {
        byte[] levels = new byte[28 * 28];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = (byte) (i % 256);
        }
        BufferedImage grey = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setDataElements(0, 0, 28, 28, levels);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(grey, "png", png);
        BufferedImage read = ImageFiles.decode(new ByteArrayInputStream(png.toByteArray()), Path.of("grey.png"));
        assertArrayEquals(levels, new ImageConverter(1, 28, 28).toPixels(read));
        byte[] rgb = new ImageConverter(3, 28, 28).toPixels(read);
        byte[] red = java.util.Arrays.copyOfRange(rgb, 0, levels.length);
        assertArrayEquals(levels, red, "grey to colour keeps the levels too");
    }
}
