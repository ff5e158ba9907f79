package org.densenet4j.train;

import java.util.List;
import org.densenet4j.infer.ModelSpec;

/**
 * The state of a training run after a whole epoch, apart from the arrays (parameters and momentum
 * buffers) that {@link CheckpointFile} stores next to it.
 *
 * <p>The random state is (seed, epochs completed): shuffling, augmentation and dropout of every
 * epoch derive from these two numbers, so a resumed run repeats exactly what an uninterrupted one
 * would have done.
 *
 * @param spec the model and its preprocessing
 * @param epochsCompleted epochs finished
 * @param dataset the training set's name or folder
 * @param recipe the training settings
 * @param history one entry per completed epoch
 */
public record Checkpoint(
        ModelSpec spec, int epochsCompleted, String dataset, TrainingRecipe recipe, List<EpochMetrics> history) {

    public Checkpoint {
        history = List.copyOf(history);
    }
}
