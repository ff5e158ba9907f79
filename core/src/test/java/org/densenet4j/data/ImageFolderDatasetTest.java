package org.densenet4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {

    @TempDir
    Path root;

    static void image(Path file, int w, int h, int rgb, String format) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(
                w, h, format.equals("png") ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, 0xff000000 | rgb);
            }
        }
        ImageIO.write(img, format, file.toFile());
    }

    @Test
    void readsPngAndJpegOfAnySizeIgnoringOtherFiles() throws IOException {
        image(root.resolve("cat/a.png"), 40, 20, 0xff0000, "png");
        image(root.resolve("cat/b.JPG"), 7, 9, 0xff0000, "jpg");
        image(root.resolve("dog/c.png"), 32, 32, 0x0000ff, "png");
        Files.writeString(root.resolve("dog/notes.txt"), "not an image");
        ImageFolderDataset d = ImageFolderDataset.scan(root, 3, 16, 16);
        assertEquals(List.of("cat", "dog"), d.classNames());
        assertEquals(3, d.size());
        assertEquals(1, d.ignoredFiles());
        assertEquals(1, d.label(2));
        byte[] px = d.pixels(0);
        assertEquals(3 * 16 * 16, px.length);
        assertEquals(255, px[0] & 0xff); // red plane
        assertEquals(0, px[256] & 0xff); // green plane
        byte[] grey = ImageFolderDataset.scan(root, 1, 8, 8).pixels(2);
        assertEquals(Math.round(0.114 * 255), grey[0] & 0xff);
    }

    @Test
    void unreadableImageIsSkippedAndCountedByTheLoader() throws IOException {
        image(root.resolve("cat/a.png"), 8, 8, 0x808080, "png");
        image(root.resolve("dog/b.png"), 8, 8, 0x101010, "png");
        Files.createDirectories(root.resolve("dog"));
        Files.write(root.resolve("dog/broken.png"), new byte[] {1, 2, 3, 4});
        ImageFolderDataset d = ImageFolderDataset.scan(root, 1, 8, 8);
        assertEquals(3, d.size());
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> d.pixels(2));
        assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
        Normalization norm = new Normalization(new float[] {0.5f}, new float[] {0.25f});
        try (BatchLoader loader = BatchLoader.evaluation(d, 8, norm)) {
            Batch b = loader.next();
            assertEquals(2, b.count());
            assertEquals(1, b.skipped());
            assertEquals(1, loader.skippedImages());
        }
    }

    @Test
    void singleClassFolderIsRejected() throws IOException {
        image(root.resolve("only/a.png"), 8, 8, 0, "png");
        InvalidDatasetException e =
                assertThrows(InvalidDatasetException.class, () -> ImageFolderDataset.scan(root, 3, 8, 8));
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
    }

    @Test
    void heldOutSplitIsRepeatableAndDisjoint() throws IOException {
        for (int i = 0; i < 10; i++) {
            image(root.resolve((i % 2 == 0 ? "a" : "b") + "/" + i + ".png"), 4, 4, i, "png");
        }
        DatasetSplits s1 = ImageFolderDataset.splits(root, 1, 4, 0.3, 7);
        DatasetSplits s2 = ImageFolderDataset.splits(root, 1, 4, 0.3, 7);
        assertEquals(3, s1.test().size());
        assertEquals(7, s1.train().size());
        for (int i = 0; i < 3; i++) {
            assertEquals(s1.test().label(i), s2.test().label(i));
        }
    }
}
