package org.densenet4j.train;

/** Hears about training progress, for progress bars and logs. Every method has a no-op default. */
public interface TrainingListener {

    /** When a new run has copied its pretrained weights ({@link DenseNetTrainer#startFrom}). */
    default void onPretrainedLoaded(PretrainedStart.Report report) {}

    /** When the linear probe's fast path has computed the features of {@code images} training images. */
    default void onFeaturesCached(int images, double seconds) {}

    default void onEpochStart(int epoch, int epochs, int batches, double learningRate) {}

    /**
     * After each step.
     *
     * @param loss the mean loss so far this epoch
     * @param accuracy the training accuracy so far this epoch
     * @param imagesPerSecond throughput so far this epoch
     */
    default void onBatch(int batch, double loss, double accuracy, double imagesPerSecond) {}

    default void onEpochEnd(EpochMetrics metrics) {}

    /** After the epoch's checkpoint is safely on disk. */
    default void onCheckpoint(java.nio.file.Path checkpoint, int epoch) {}
}
