package org.densenet4j.train;

/**
 * The running figures of a training epoch as its steps add up: the loss summed over images, the correct
 * predictions, the images seen, and the time since the epoch began. One per epoch, on one thread.
 */
public final class EpochTally {

    private final long start = System.nanoTime();
    private double lossSum;
    private long correct;
    private long seen;

    /** Adds a step: {@code lossSum} is its mean loss times its {@code images}. */
    public void add(double lossSum, long correct, long images) {
        this.lossSum += lossSum;
        this.correct += correct;
        this.seen += images;
    }

    /** The mean loss over the images seen so far (NaN before any). */
    public double meanLoss() {
        return seen == 0 ? Double.NaN : lossSum / seen;
    }

    /** The fraction of the images seen so far predicted right (0 before any). */
    public double accuracy() {
        return seen == 0 ? 0 : correct / (double) seen;
    }

    /** Seconds since the epoch began. */
    public double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    /** Images per second since the epoch began. */
    public double imagesPerSecond() {
        return seen / seconds();
    }

    /** The epoch's training figures ({@link EpochMetrics#training}), {@code skipped} unreadable images included. */
    public EpochMetrics metrics(int epoch, double learningRate, long skipped) {
        double seconds = seconds();
        return EpochMetrics.training(epoch, learningRate, meanLoss(), accuracy(), seconds, seen / seconds, (int)
                Math.min(Integer.MAX_VALUE, skipped));
    }
}
