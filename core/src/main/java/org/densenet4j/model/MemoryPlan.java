package org.densenet4j.model;

import ai.djl.ndarray.types.Shape;

/**
 * What a workload will hold in memory, estimated before it runs so that a batch or model too large for the
 * machine is refused with the estimate instead of being killed by the kernel. The factors are upper bounds
 * of what BENCHMARKS.md measured (peak resident memory over the summed feature maps of a batch): 0.9 for the
 * plain training step, 0.3-0.4 for the memory-efficient one, 0.05-0.1 for folded inference.
 */
public final class MemoryPlan {

    /** How a network is run. */
    public enum Use {
        INFERENCE(0.25, 2),
        TRAINING(1.0, 4),
        MEMORY_EFFICIENT_TRAINING(0.5, 4);

        /** Share of the batch's summed feature maps alive at the peak. */
        final double activationShare;
        /** Copies of the weights held: weights and folded copy; or weights, gradients, momentum, a spare. */
        final int weightCopies;

        Use(double activationShare, int weightCopies) {
            this.activationShare = activationShare;
            this.weightCopies = weightCopies;
        }
    }

    /** The JVM, libtorch and oneDNN before any array: about what an idle densenet4j process holds. */
    static final double BASELINE_BYTES = 400e6;

    private MemoryPlan() {}

    /** The weights alone, from the settings (nothing is built): checks a hostile or absurd model cheaply. */
    public static double weightBytes(DenseNetConfig config, Use use) {
        return config.storedValues() * Float.BYTES * use.weightCopies;
    }

    /**
     * The estimated peak for {@code batch} images of {@code image} (C, H, W). Builds the network's summary,
     * so check {@link #weightBytes} first for models that may not fit at all.
     */
    public static double peakBytes(DenseNetConfig config, Shape image, int batch, Use use) {
        double activations = ModelSummary.of(config, image).activationBytes();
        return BASELINE_BYTES + weightBytes(config, use) + use.activationShare * activations * batch;
    }
}
