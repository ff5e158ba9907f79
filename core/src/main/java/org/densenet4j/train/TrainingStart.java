package org.densenet4j.train;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.Normalization;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;

/**
 * Where a run's weights and input normalisation come from: the checkpoint of the run it resumes, pretrained
 * weights (fine-tuning), or the seed's random initialisation with the normalisation fitted to the training images.
 */
final class TrainingStart {

    private final Path checkpoint;
    private final Checkpoint previous;
    private final PretrainedStart pretrained;

    private TrainingStart(Path checkpoint, Checkpoint previous, PretrainedStart pretrained) {
        this.checkpoint = checkpoint;
        this.previous = previous;
        this.pretrained = pretrained;
    }

    /**
     * The start for a run in {@code folder}: its own checkpoint when {@code previous} (what the folder holds) is
     * not null, else {@code pretrained} weights when given, else a random initialisation.
     */
    static TrainingStart choose(RunFolder folder, Checkpoint previous, PretrainedStart pretrained) {
        return new TrainingStart(folder.checkpoint(), previous, previous != null ? null : pretrained);
    }

    /**
     * Checks that a resumed run continues what this run would train: the same network, classes, dataset and recipe.
     *
     * @throws IOException naming the checkpoint and what differs
     */
    void checkContinues(DenseNetConfig config, List<String> classNames, String dataset, TrainingRecipe recipe)
            throws IOException {
        if (previous != null) {
            previous.checkContinuedBy(checkpoint, config, classNames, dataset, recipe);
        }
    }

    /** The input normalisation: the resumed run's, the pretrained model's (unless refitted), or fitted to {@code train}. */
    Normalization normalization(ImageDataset train) {
        if (previous != null) {
            return previous.spec().normalization();
        }
        if (pretrained != null && !pretrained.refitNormalization()) {
            return pretrained.weights().spec().normalization();
        }
        return Normalization.fit(train);
    }

    /** The epochs already done (empty for a new run). */
    List<EpochMetrics> history() {
        return previous != null ? previous.history() : List.of();
    }

    /** Puts the starting weights into the initialised {@code network} (nothing to do for a random start). */
    void fill(DenseNet network, List<String> classNames, NDManager manager, TrainingListener listener)
            throws IOException {
        if (previous != null) {
            CheckpointFile.loadInto(checkpoint, network, manager);
        } else if (pretrained != null) {
            listener.onPretrainedLoaded(pretrained.copyInto(network, classNames));
        }
    }

    /** A resumed run's optimizer state (momentum), once the optimizer has its parameters. */
    void restoreOptimizer(DenseNet network, NesterovSgd optimizer, NDManager manager) throws IOException {
        if (previous != null) {
            CheckpointFile.restoreMomentum(checkpoint, network, optimizer, manager);
        }
    }

    /** Whether this run resumes a checkpoint. */
    boolean resumes() {
        return previous != null;
    }
}
