package org.densenet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    @TempDir Path dir;

    private Path write(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    @Test
    void readsRawAndGzippedFilesAlike() throws IOException {
        Path rawImages = write("img", DatasetFixtures.idxImages(5, 28, 28));
        Path gzLabels = write("lab.gz", DatasetFixtures.gzip(DatasetFixtures.idxLabels(5, 10)));
        InMemoryDataset d = IdxReader.read(rawImages, gzLabels, DatasetCatalog.DIGITS);
        assertEquals(5, d.size());
        assertEquals(28, d.height());
        assertEquals(1, d.channels());
        assertEquals(3, d.label(3));
        assertEquals((byte) (2 * 7 + 10), d.pixels(2)[10]);
        Path gzImages = write("img.gz", DatasetFixtures.gzip(DatasetFixtures.idxImages(5, 28, 28)));
        assertArrayEquals(d.pixels(4), IdxReader.read(gzImages, gzLabels, DatasetCatalog.DIGITS).pixels(4));
    }

    @Test
    void wrongMagicNumberNamesTheFile() throws IOException {
        Path images = write("img", DatasetFixtures.idxImages(5, 28, 28));
        Path labels = write("lab", DatasetFixtures.idxLabels(5, 10));
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class,
                () -> IdxReader.read(images, images, DatasetCatalog.DIGITS));
        assertTrue(e.getMessage().contains(images.toString()) && e.getMessage().contains("magic number 0x00000803"), e.getMessage());
    }

    @Test
    void truncatedImagesAreRejected() throws IOException {
        byte[] full = DatasetFixtures.idxImages(5, 28, 28);
        Path images = write("img", Arrays.copyOf(full, full.length - 100));
        Path labels = write("lab", DatasetFixtures.idxLabels(5, 10));
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class,
                () -> IdxReader.read(images, labels, DatasetCatalog.DIGITS));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedGzipIsRejected() throws IOException {
        byte[] gz = DatasetFixtures.gzip(DatasetFixtures.idxImages(50, 28, 28));
        Path images = write("img.gz", Arrays.copyOf(gz, gz.length / 2));
        Path labels = write("lab", DatasetFixtures.idxLabels(50, 10));
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class,
                () -> IdxReader.read(images, labels, DatasetCatalog.DIGITS));
        assertTrue(e.getMessage().contains(images.toString()) && e.getMessage().contains("gzip"), e.getMessage());
    }

    @Test
    void countMismatchAndOutOfRangeLabelsAreRejected() throws IOException {
        Path images = write("img", DatasetFixtures.idxImages(5, 28, 28));
        Path six = write("six", DatasetFixtures.idxLabels(6, 10));
        assertTrue(assertThrows(InvalidDatasetException.class,
                () -> IdxReader.read(images, six, DatasetCatalog.DIGITS)).getMessage().contains("6 labels"));
        byte[] labels = DatasetFixtures.idxLabels(5, 10);
        labels[8 + 2] = 12;
        Path bad = write("bad", labels);
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class,
                () -> IdxReader.read(images, bad, DatasetCatalog.DIGITS));
        assertTrue(e.getMessage().contains("label 12") && e.getMessage().contains("0..9"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class,
                () -> IdxReader.read(dir.resolve("nope"), dir.resolve("nope2"), DatasetCatalog.DIGITS));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("not found"), e.getMessage());
    }
}
