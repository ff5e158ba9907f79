package org.densenet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BatchLoaderTest {

    private static InMemoryDataset data(int n) {
        byte[] px = new byte[n * 36];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(px, i * 36, (i + 1) * 36, (byte) i);
            labels[i] = i % 3;
        }
        return new InMemoryDataset("test", 1, 6, 6, px, labels, List.of("a", "b", "c"));
    }

    private static float[] epoch(ImageDataset d, long seed, int epoch) {
        Normalization norm = new Normalization(new float[] {0f}, new float[] {1f});
        float[] all = new float[0];
        try (BatchLoader loader = BatchLoader.training(d, 4, norm, Augmentation.paperDefault(), seed, epoch)) {
            while (loader.hasNext()) {
                float[] b = loader.next().data();
                float[] joined = Arrays.copyOf(all, all.length + b.length);
                System.arraycopy(b, 0, joined, all.length, b.length);
                all = joined;
            }
        }
        return all;
    }

    @Test
    void sameSeedAndEpochGiveTheSameBatches() {
        InMemoryDataset d = data(10);
        assertArrayEquals(epoch(d, 1, 3), epoch(d, 1, 3));
        assertFalse(Arrays.equals(epoch(d, 1, 3), epoch(d, 1, 4)));
        assertFalse(Arrays.equals(epoch(d, 1, 3), epoch(d, 2, 3)));
    }

    @Test
    void everyImageAppearsOncePerEpochWithItsLabel() {
        InMemoryDataset d = data(10);
        Normalization norm = new Normalization(new float[] {0f}, new float[] {1f});
        int[] seen = new int[10];
        try (BatchLoader loader = BatchLoader.training(d, 4, norm, null, 5, 0)) {
            assertEquals(3, loader.batchCount());
            while (loader.hasNext()) {
                Batch b = loader.next();
                for (int i = 0; i < b.count(); i++) {
                    int image = Math.round(b.data()[i * 36] * 255);
                    seen[image]++;
                    assertEquals(image % 3, b.labels()[i]);
                }
            }
        }
        int[] once = new int[10];
        Arrays.fill(once, 1);
        assertArrayEquals(once, seen);
    }

    @Test
    void augmentationShiftsWithZeroPaddingAndFlips() {
        byte[] px = new byte[16];
        for (int i = 0; i < 16; i++) {
            px[i] = (byte) (i + 1);
        }
        Augmentation a = new Augmentation(1);
        boolean sawPadding = false;
        boolean sawFlip = false;
        for (int s = 0; s < 50; s++) {
            byte[] out = a.apply(px, 1, 4, 4, new SplittableRandom(s));
            for (byte v : out) {
                sawPadding |= v == 0;
            }
            sawFlip |= out[5] == 7 && out[6] == 6; // row 1 mirrored, no shift
        }
        assertEquals(true, sawPadding);
        assertEquals(true, sawFlip);
    }

    @Test
    void normalizationUsesTrainingStatistics() {
        Normalization n = Normalization.fit(data(10));
        assertEquals(4.5f / 255, n.mean()[0], 1e-6);
        float[] out = new float[36];
        n.apply(data(10).pixels(0), out, 0);
        assertEquals(-n.mean()[0] / n.std()[0], out[0], 1e-5);
    }
}
