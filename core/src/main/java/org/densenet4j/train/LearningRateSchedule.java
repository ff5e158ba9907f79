package org.densenet4j.train;

/** How the learning rate changes over the epochs; applied once at the start of each epoch. */
public enum LearningRateSchedule {
    /**
     * The paper's: divided by 10 at 50% and again at 75% of the epochs (epochs 150 and 225 of 300). For
     * short runs the milestones are moved so that no stage is skipped: from 3 epochs on, each of the three
     * rates gets at least one epoch (0.1, 0.01, 0.001 for 3), and a one-epoch run keeps the base rate.
     */
    STEP {
        @Override
        public double rate(double base, int epoch, int epochs) {
            int first = Math.max(1, epochs / 2);
            int second = Math.max(first + 1, (int) Math.floor(0.75 * epochs));
            double r = base;
            if (epoch >= first) {
                r /= 10;
            }
            if (epoch >= second) {
                r /= 10;
            }
            return r;
        }
    },
    /** Cosine annealing from the base rate towards 0 (Loshchilov and Hutter, 2017). */
    COSINE {
        @Override
        public double rate(double base, int epoch, int epochs) {
            return 0.5 * base * (1 + Math.cos(Math.PI * epoch / epochs));
        }
    };

    /** The rate for epoch {@code epoch} (0-based) of {@code epochs}. */
    public abstract double rate(double base, int epoch, int epochs);
}
