package org.densenet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** torchvision's RandomResizedCrop: regions drawn within its scale and ratio bounds, and the ImageNet training path. */
class RandomResizedCropTest {

    @TempDir
    Path tmp;

    @Test
    void regionsCoverEightToHundredPercentWithRatiosBetweenThreeQuartersAndFourThirds() {
        SplittableRandom random = new SplittableRandom(1);
        double smallest = 1;
        double largest = 0;
        for (int i = 0; i < 5000; i++) {
            int[] r = RandomResizedCrop.region(427, 640, random);
            assertTrue(r[0] >= 0 && r[1] >= 0 && r[0] + r[2] <= 427 && r[1] + r[3] <= 640, Arrays.toString(r));
            double fraction = (double) r[2] * r[3] / (427 * 640);
            double ratio = (double) r[3] / r[2];
            // Rounding each side to whole pixels moves the bounds by under a pixel.
            assertTrue(fraction > 0.075 && fraction <= 1.0, "area fraction " + fraction);
            assertTrue(ratio > 0.74 && ratio < 1.35, "aspect ratio " + ratio);
            smallest = Math.min(smallest, fraction);
            largest = Math.max(largest, fraction);
        }
        assertTrue(smallest < 0.1 && largest > 0.6, "the whole range is drawn: " + smallest + ".." + largest);
    }

    @Test
    void aVeryWideImageFallsBackToTheCentralCropOfTheLargestRatio() {
        // No region of 8-100% of a 10x1000 image has a ratio within [3/4, 4/3]: torchvision's fallback.
        int[] r = RandomResizedCrop.region(10, 1000, new SplittableRandom(3));
        assertArrayEquals(new int[] {0, (1000 - 13) / 2, 10, 13}, r);
    }

    @Test
    void imagenetFoldersTrainOnRandomResizedCropsOfTheFullImage() throws IOException {
        Path root = tmp.resolve("photos");
        for (String c : new String[] {"a", "b"}) {
            Files.createDirectories(root.resolve(c));
            BufferedImage img = new BufferedImage(120, 90, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 90; y++) {
                for (int x = 0; x < 120; x++) {
                    img.setRGB(x, y, (x * 2 << 16) | (y * 2 << 8) | (c.equals("a") ? 40 : 200));
                }
            }
            ImageIO.write(img, "png", root.resolve(c).resolve("0.png").toFile());
        }
        ImageFolderDataset d = ImageFolderDataset.scan(root, 3, 32, 32, new ResizeAndCrop(36, 32));
        Augmentation paper = Augmentation.paperDefault();
        byte[] first = d.augmentedPixels(0, paper, new SplittableRandom(7));
        assertEquals(3 * 32 * 32, first.length);
        assertArrayEquals(first, d.augmentedPixels(0, paper, new SplittableRandom(7)), "seeded per image");
        assertFalse(Arrays.equals(first, d.augmentedPixels(0, paper, new SplittableRandom(8))), "random per seed");
        assertFalse(Arrays.equals(first, d.pixels(0)), "not the evaluation crop");
        // The same draw as RandomResizedCrop on the full image.
        BufferedImage full = ImageIO.read(root.resolve("a").resolve("0.png").toFile());
        byte[] direct =
                new RandomResizedCrop(32).apply(ImageConverter.planar(full, 3), 3, 90, 120, new SplittableRandom(7));
        assertArrayEquals(direct, first);
    }
}
