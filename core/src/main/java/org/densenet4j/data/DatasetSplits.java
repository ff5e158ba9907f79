package org.densenet4j.data;

/**
 * A training set and the held-out set evaluated after every epoch.
 *
 * @param name the dataset's name, such as {@code fashion-mnist}
 */
public record DatasetSplits(String name, ImageDataset train, ImageDataset test) {

    /**
     * Splits off a held-out fraction of {@code all}, chosen by a seeded shuffle so that the split is repeatable: the
     * same images for the same seed and image count, whichever source lists them (a folder, a table).
     *
     * @param heldOut the fraction of images for the test split, in (0, 1); at least one image is held out
     */
    public static DatasetSplits heldOut(String name, ImageDataset all, double heldOut, long seed) {
        if (!(heldOut > 0 && heldOut < 1)) {
            throw new IllegalArgumentException("held-out fraction must be in (0, 1), got " + heldOut);
        }
        int[] order = Seeds.shuffledIndices(all.size(), new java.util.Random(seed));
        int testCount = Math.max(1, (int) Math.round(heldOut * order.length));
        int[] test = java.util.Arrays.copyOfRange(order, 0, testCount);
        int[] train = java.util.Arrays.copyOfRange(order, testCount, order.length);
        java.util.Arrays.sort(test);
        java.util.Arrays.sort(train);
        return new DatasetSplits(name, new SubsetDataset(all, train), new SubsetDataset(all, test));
    }

    /** Both splits as a model with {@code modelChannels} input channels sees them ({@link ImageDataset#asChannels}). */
    public DatasetSplits asChannels(int modelChannels) {
        return new DatasetSplits(name, train.asChannels(modelChannels), test.asChannels(modelChannels));
    }

    /** The same splits cut to at most {@code trainCount} and {@code testCount} images. */
    public DatasetSplits limit(int trainCount, int testCount) {
        return new DatasetSplits(name, train.limit(trainCount), test.limit(testCount));
    }
}
