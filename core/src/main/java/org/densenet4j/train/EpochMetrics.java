package org.densenet4j.train;

import org.densenet4j.infer.EvaluationReport;

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
        int skippedImages) {

    /** An epoch's training figures, before its evaluation on the test split. */
    public static EpochMetrics training(
            int epoch,
            double learningRate,
            double trainLoss,
            double trainAccuracy,
            double seconds,
            double imagesPerSecond,
            int skippedImages) {
        return new EpochMetrics(
                epoch,
                learningRate,
                trainLoss,
                trainAccuracy,
                Double.NaN,
                Double.NaN,
                Double.NaN,
                seconds,
                imagesPerSecond,
                skippedImages);
    }

    /** These figures with the test split's loss and accuracies from {@code test}. */
    public EpochMetrics withTest(EvaluationReport test) {
        return new EpochMetrics(
                epoch,
                learningRate,
                trainLoss,
                trainAccuracy,
                test.loss(),
                test.top1(),
                test.top5(),
                seconds,
                imagesPerSecond,
                skippedImages);
    }

    /** The epoch's figures as one line of a log: losses, accuracies, time and throughput. */
    public String summary() {
        return String.format(
                java.util.Locale.ROOT,
                "train loss %.4f acc %.2f%%, test loss %.4f top-1 %.2f%% top-5 %.2f%%, %.0f s (%.0f img/s)",
                trainLoss,
                100 * trainAccuracy,
                testLoss,
                100 * testAccuracy,
                100 * testTop5,
                seconds,
                imagesPerSecond);
    }
}
