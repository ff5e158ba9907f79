package org.densenet4j.train;

/** How the learning rate changes over the epochs; applied once at the start of each epoch. */
public enum LearningRateSchedule {
    /**
     * The paper's: divided by 10 at 50% and again at 75% of the epochs (epochs 150 and 225 of 300).
     * Milestones are rounded to the nearest epoch, so a one-epoch run keeps the base rate.
     */
    STEP {
        @Override
        public double rate(double base, int epoch, int epochs) {
            double r = base;
            if (epoch >= Math.round(0.5 * epochs)) {
                r /= 10;
            }
            if (epoch >= Math.round(0.75 * epochs)) {
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
