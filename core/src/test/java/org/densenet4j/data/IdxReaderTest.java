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

    @TempDir
    Path dir;

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
        assertArrayEquals(
                d.pixels(4),
                IdxReader.read(gzImages, gzLabels, DatasetCatalog.DIGITS).pixels(4));
    }

    @Test
    void wrongMagicNumberNamesTheFile() throws IOException {
        Path images = write("img", DatasetFixtures.idxImages(5, 28, 28));
        Path labels = write("lab", DatasetFixtures.idxLabels(5, 10));
        InvalidDatasetException e = assertThrows(
                InvalidDatasetException.class, () -> IdxReader.read(images, images, DatasetCatalog.DIGITS));
        assertTrue(
                e.getMessage().contains(images.toString()) && e.getMessage().contains("magic number 0x00000803"),
                e.getMessage());
    }

    @Test
    void truncatedImagesAreRejected() throws IOException {
        byte[] full = DatasetFixtures.idxImages(5, 28, 28);
        Path images = write("img", Arrays.copyOf(full, full.length - 100));
        Path labels = write("lab", DatasetFixtures.idxLabels(5, 10));
        InvalidDatasetException e = assertThrows(
                InvalidDatasetException.class, () -> IdxReader.read(images, labels, DatasetCatalog.DIGITS));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedGzipIsRejected() throws IOException {
        byte[] gz = DatasetFixtures.gzip(DatasetFixtures.idxImages(50, 28, 28));
        Path images = write("img.gz", Arrays.copyOf(gz, gz.length / 2));
        Path labels = write("lab", DatasetFixtures.idxLabels(50, 10));
        InvalidDatasetException e = assertThrows(
                InvalidDatasetException.class, () -> IdxReader.read(images, labels, DatasetCatalog.DIGITS));
        assertTrue(e.getMessage().contains(images.toString()) && e.getMessage().contains("gzip"), e.getMessage());
    }

    @Test
    void countMismatchAndOutOfRangeLabelsAreRejected() throws IOException {
        Path images = write("img", DatasetFixtures.idxImages(5, 28, 28));
        Path six = write("six", DatasetFixtures.idxLabels(6, 10));
        assertTrue(assertThrows(InvalidDatasetException.class, () -> IdxReader.read(images, six, DatasetCatalog.DIGITS))
                .getMessage()
                .contains("6 labels"));
        byte[] labels = DatasetFixtures.idxLabels(5, 10);
        labels[8 + 2] = 12;
        Path bad = write("bad", labels);
        InvalidDatasetException e =
                assertThrows(InvalidDatasetException.class, () -> IdxReader.read(images, bad, DatasetCatalog.DIGITS));
        assertTrue(e.getMessage().contains("label 12") && e.getMessage().contains("0..9"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        InvalidDatasetException e = assertThrows(
                InvalidDatasetException.class,
                () -> IdxReader.read(dir.resolve("nope"), dir.resolve("nope2"), DatasetCatalog.DIGITS));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("not found"), e.getMessage());
    }

    /** An IDX images header claiming {@code count} images of 28x28, followed by {@code real} real ones. */
    private static byte[] claiming(int count, int real) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16 + real * 784);
        b.putInt(0x803).putInt(count).putInt(28).putInt(28);
        return b.array();
    }

    @Test
    void aHeaderClaimingMillionsOfImagesAllocatesNothingItCannotBack() throws IOException {
        Path images = write("claims.gz", DatasetFixtures.gzip(claiming(3_000_000, 100)));
        Path labels = write("lab", DatasetFixtures.idxLabels(3_000_000, 10));
        InvalidDatasetException all = assertThrows(
                InvalidDatasetException.class, () -> IdxReader.read(images, labels, DatasetCatalog.DIGITS));
        assertTrue(
                all.getMessage().contains("3000000 images of 28x28")
                        && all.getMessage().contains("train or test limit"),
                all.getMessage());
        // A limit caps what is read: only the first 50 images (which the file really holds) are.
        InMemoryDataset first = IdxReader.read(images, labels, DatasetCatalog.DIGITS, 50);
        assertEquals(50, first.size());
        InvalidDatasetException past = assertThrows(
                InvalidDatasetException.class, () -> IdxReader.read(images, labels, DatasetCatalog.DIGITS, 1000));
        assertTrue(past.getMessage().contains("truncated"), past.getMessage());
    }

    @Test
    void absurdImageSidesAreRefused() throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
        b.putInt(0x803).putInt(1).putInt(1 << 30).putInt(1 << 30);
        Path images = write("sides", b.array());
        Path labels = write("lab", DatasetFixtures.idxLabels(1, 10));
        InvalidDatasetException e = assertThrows(
                InvalidDatasetException.class, () -> IdxReader.read(images, labels, DatasetCatalog.DIGITS));
        assertTrue(e.getMessage().contains("bad dimensions"), e.getMessage());
    }
}
