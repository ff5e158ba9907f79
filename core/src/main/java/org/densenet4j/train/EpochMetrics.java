package org.densenet4j.train;

/**
 * What one epoch did.
 *
 * @param epoch 1-based epoch number
 * @param learningRate the rate used
 * @param trainLoss mean training cross-entropy
 * @param trainAccuracy training top-1 accuracy (on augmented images, in training mode)
 * @param testLoss mean test cross-entropy
 * @param testAccuracy test top-1 accuracy
 * @param testTop5 test top-5 accuracy
 * @param seconds wall time of the epoch's training pass
 * @param imagesPerSecond training throughput
 * @param skippedImages unreadable images skipped
 */
public record EpochMetrics(
        int epoch,
        double learningRate,
        double trainLoss,
        double trainAccuracy,
        double testLoss,
        double testAccuracy,
        double testTop5,
        double seconds,
        double imagesPerSecond,
        int skippedImages) {}
