package org.densenet4j.train;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports training progress through SLF4J, so that a trainer without a listener of its own is not silent:
 * a line when an epoch starts, about every {@link #REPORT_SECONDS} seconds within it, and when it ends.
 */
public final class LoggingTrainingListener implements TrainingListener {

    /** How often, at most, a line about the running epoch is logged. */
    public static final int REPORT_SECONDS = 30;

    private static final Logger LOG = LoggerFactory.getLogger(DenseNetTrainer.class);

    private int epoch;
    private int epochs;
    private int batches;
    private long lastReport;

    @Override
    public void onPretrainedLoaded(PretrainedStart.Report report) {
        LOG.info("pretrained weights: {}", report.describe());
    }

    @Override
    public void onFeaturesCached(int images, double seconds) {
        LOG.info("linear probe: features of {} training images computed once in {} s", images, seconds);
    }

    @Override
    public void onEpochStart(int epoch, int epochs, int batches, double learningRate) {
        this.epoch = epoch;
        this.epochs = epochs;
        this.batches = batches;
        this.lastReport = System.nanoTime();
        LOG.info("epoch {}/{}: {} batches, learning rate {}", epoch, epochs, batches, learningRate);
    }

    @Override
    public void onBatch(int batch, double loss, double accuracy, double imagesPerSecond) {
        long now = System.nanoTime();
        if (now - lastReport >= REPORT_SECONDS * 1_000_000_000L) {
            lastReport = now;
            LOG.info(String.format(
                    "epoch %d/%d: batch %d/%d, loss %.4f, accuracy %.2f%%, %.0f images/s",
                    epoch, epochs, batch, batches, loss, 100 * accuracy, imagesPerSecond));
        }
    }

    @Override
    public void onEpochEnd(EpochMetrics m) {
        LOG.info("epoch {}/{}: {}", m.epoch(), epochs, m.summary());
    }

    @Override
    public void onCheckpoint(Path checkpoint, int epoch) {
        LOG.debug("epoch {}: checkpoint {}", epoch, checkpoint);
    }
}
