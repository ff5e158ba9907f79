package org.densenet4j.data;

/**
 * A training set and the held-out set evaluated after every epoch.
 *
 * @param name the dataset's name, such as {@code fashion-mnist}
 */
public record DatasetSplits(String name, ImageDataset train, ImageDataset test) {

    /** Both splits as a model with {@code modelChannels} input channels sees them ({@link ImageDataset#asChannels}). */
    public DatasetSplits asChannels(int modelChannels) {
        return new DatasetSplits(name, train.asChannels(modelChannels), test.asChannels(modelChannels));
    }

    /** The same splits cut to at most {@code trainCount} and {@code testCount} images. */
    public DatasetSplits limit(int trainCount, int testCount) {
        return new DatasetSplits(name, train.limit(trainCount), test.limit(testCount));
    }
}
