package org.densenet4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.model.DenseNetConfig;

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

    /**
     * Checks that resuming this run, read from {@code file}, continues what a run building {@code config} for
     * {@code classNames} on {@code dataset} with {@code recipe} would train.
     *
     * @throws IOException naming the file and what differs
     */
    public void checkContinuedBy(
            Path file, DenseNetConfig config, List<String> classNames, String dataset, TrainingRecipe recipe)
            throws IOException {
        if (!spec.config().equals(config)) {
            throw new IOException(file + ": holds another model (" + spec.modelName() + ", "
                    + spec.config().describe() + "); this run builds " + config.describe()
                    + ". Use another run folder or the same model settings.");
        }
        if (!dataset.equals(this.dataset)) {
            throw new IOException(file + ": was trained on " + this.dataset + ", not " + dataset);
        }
        if (!spec.classNames().equals(classNames)) {
            throw new IOException(file + ": was trained on classes " + spec.classNames() + ", not " + classNames);
        }
        if (!this.recipe.equals(recipe)) {
            throw new IOException(file + ": was trained with " + this.recipe + "; resuming needs the same "
                    + "settings, got " + recipe);
        }
    }
}
