package org.densenet4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarReaderTest {

    @TempDir
    Path dir;

    @Test
    void readsCifar10BatchesInOrder() throws IOException {
        for (int i = 1; i <= 5; i++) {
            Files.write(dir.resolve("data_batch_" + i + ".bin"), DatasetFixtures.cifarRecords(4, 1, 10));
        }
        Files.write(dir.resolve("test_batch.bin"), DatasetFixtures.cifarRecords(3, 1, 10));
        InMemoryDataset train = CifarReader.cifar10(dir, true);
        assertEquals(20, train.size());
        assertEquals(3, train.channels());
        assertEquals(32, train.width());
        assertEquals(1, train.label(5)); // second batch, record 1
        assertEquals((byte) (1 + 100), train.pixels(5)[100]);
        assertEquals("airplane", train.classNames().get(0));
        assertEquals(3, CifarReader.cifar10(dir, false).size());
    }

    @Test
    void readsCifar100FineAndCoarseLabels() throws IOException {
        Files.write(dir.resolve("train.bin"), DatasetFixtures.cifarRecords(30, 2, 20));
        Files.write(dir.resolve("test.bin"), DatasetFixtures.cifarRecords(5, 2, 20));
        InMemoryDataset coarse = CifarReader.cifar100(dir, true, CifarReader.Cifar100Labels.COARSE);
        InMemoryDataset fine = CifarReader.cifar100(dir, true, CifarReader.Cifar100Labels.FINE);
        assertEquals(7, coarse.label(7));
        assertEquals(8, fine.label(7));
        assertEquals(100, fine.classCount());
        assertEquals(20, coarse.classCount());
    }

    @Test
    void truncatedFileIsRejectedWithItsName() throws IOException {
        byte[] records = DatasetFixtures.cifarRecords(3, 1, 10);
        Path test = dir.resolve("test_batch.bin");
        Files.write(test, Arrays.copyOf(records, records.length - 10));
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class, () -> CifarReader.cifar10(dir, false));
        assertTrue(e.getMessage().contains("test_batch.bin") && e.getMessage().contains("3073"), e.getMessage());
    }

    @Test
    void outOfRangeLabelIsRejected() throws IOException {
        byte[] records = DatasetFixtures.cifarRecords(3, 1, 10);
        records[3073] = 10;
        Files.write(dir.resolve("test_batch.bin"), records);
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class, () -> CifarReader.cifar10(dir, false));
        assertTrue(e.getMessage().contains("label 10"), e.getMessage());
    }
}
