package org.densenet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ExplanationPictureTest {

    private static Explanation explanation() {
        return new Explanation(1, "Trouser", 0.9, Explainer.Method.CAM, 3, 2, 2, new float[] {0, 1, 2, 3});
    }

    @Test
    void anImageOfExtremeShapeIsShrunkToABoundedCanvas() {
        // Enlarged to 280 pixels on its shorter side, 1 x 100,000 would be a 280 x 28,000,000 canvas.
        for (BufferedImage strip : new BufferedImage[] {
            new BufferedImage(1, 100_000, BufferedImage.TYPE_BYTE_GRAY),
            new BufferedImage(100_000, 1, BufferedImage.TYPE_BYTE_GRAY)
        }) {
            BufferedImage picture = ExplanationPicture.draw(strip, explanation());
            assertTrue(picture.getWidth() <= ExplanationPicture.MAX_SIDE + 200, "width " + picture.getWidth());
            assertTrue(picture.getHeight() <= ExplanationPicture.MAX_SIDE + 200, "height " + picture.getHeight());
        }
    }

    @Test
    void ordinaryImagesKeepTheirSize() {
        BufferedImage small = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        BufferedImage picture = ExplanationPicture.draw(small, explanation());
        assertEquals(ExplanationPicture.SIDE + 30 + 12, picture.getHeight(), "280 pixels of image, title and margin");
        BufferedImage wide = new BufferedImage(560, 280, BufferedImage.TYPE_INT_RGB);
        assertEquals(
                ExplanationPicture.SIDE + 42,
                ExplanationPicture.draw(wide, explanation()).getHeight());
    }
}
