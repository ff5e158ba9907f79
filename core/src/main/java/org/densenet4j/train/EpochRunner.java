package org.densenet4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.Trainer;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.densenet4j.data.Augmentation;
import org.densenet4j.data.Batch;
import org.densenet4j.data.BatchLoader;
import org.densenet4j.data.Batches;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.Seeds;
import org.densenet4j.infer.ModelSpec;

/**
 * One training epoch: the recipe's learning rate, a pass over the shuffled (and augmented) training images or
 * their cached features, one optimizer step per batch, stopping cleanly between steps when asked.
 */
final class EpochRunner {

    private final TrainingRecipe recipe;
    private final TrainingStep step;
    private final TrainingListener listener;
    private final BooleanSupplier stopRequested;
    private final Path checkpoint;

    /** @param checkpoint where the run's checkpoint is kept, named when training stops early */
    EpochRunner(
            TrainingRecipe recipe,
            TrainingStep step,
            TrainingListener listener,
            BooleanSupplier stopRequested,
            Path checkpoint) {
        this.recipe = recipe;
        this.step = step;
        this.listener = listener;
        this.stopRequested = stopRequested;
        this.checkpoint = checkpoint;
    }

    /**
     * Runs epoch {@code epoch} (0-based) over {@code train}, or over its cached features when {@code probe} is not
     * null; the returned metrics hold no test figures yet.
     *
     * @throws StopRequestedException if a stop was requested (checked before every step)
     * @throws DivergedException if the loss becomes NaN or infinite (checked before the step it would spoil)
     */
    EpochMetrics run(
            Trainer trainer,
            TrainingPass forward,
            NesterovSgd optimizer,
            ModelSpec spec,
            ImageDataset train,
            int epoch,
            FeatureCache probe) {
        double lr = recipe.learningRate(epoch);
        optimizer.setLearningRate((float) lr);
        // Dropout draws from the engine's generator: seeding it per epoch makes a resumed epoch
        // identical to the uninterrupted one.
        Engine.getInstance().setRandomSeed((int) Seeds.mix(recipe.seed(), epoch + 1_000_003L));
        Augmentation augmentation = Augmentation.of(recipe.augmentation());
        EpochTally tally = new EpochTally();
        int batchIndex = 0;
        try (Batches loader = probe != null
                ? probe.epoch(recipe.batchSize(), recipe.seed(), epoch)
                : BatchLoader.training(
                        train, recipe.batchSize(), spec.normalization(), augmentation, recipe.seed(), epoch)) {
            listener.onEpochStart(epoch + 1, recipe.epochs(), loader.batchCount(), lr);
            while (loader.hasNext()) {
                if (stopRequested.getAsBoolean()) {
                    throw new StopRequestedException(
                            "training stopped on request at epoch " + (epoch + 1) + ", batch " + (batchIndex + 1)
                                    + ". "
                                    + (epoch > 0
                                            ? "The checkpoint after epoch " + epoch + " is kept at " + checkpoint
                                                    + "; resuming the run with the same settings continues from it."
                                            : "No epoch had finished, so there is no checkpoint."),
                            epoch > 0);
                }
                Batch b = loader.next();
                batchIndex++;
                if (b.count() == 0) {
                    continue;
                }
                // Every array of the step lives in this scope, so memory stays flat across batches.
                try (NDManager scope = trainer.getManager().newSubManager()) {
                    NDArray y = scope.create(b.labels());
                    TrainingStep.Pass pass = probe != null
                            ? LinearProbe.forwardBackward(
                                    trainer, scope.create(b.data(), new Shape(b.count(), probe.dimension())), y)
                            : step.forwardBackward(
                                    trainer, forward, scope.create(b.data(), spec.batchShape(b.count())), y);
                    float loss = pass.loss();
                    if (!Float.isFinite(loss)) { // checked before the step, so the weights stay good
                        throw new DivergedException("loss became " + loss + " at epoch " + (epoch + 1) + ", batch "
                                + batchIndex + " (learning rate " + lr + "); training stopped. "
                                + (epoch > 0
                                        ? "The last good checkpoint (after epoch " + epoch + ") is kept at "
                                                + checkpoint + ". "
                                        : "No epoch finished, so no checkpoint was written. ")
                                + "Lower the learning rate and start again.");
                    }
                    trainer.step();
                    long correct = pass.logits()
                            .argMax(1)
                            .toType(DataType.INT32, false)
                            .eq(y.toType(DataType.INT32, false))
                            .sum()
                            .getLong();
                    tally.add((double) loss * b.count(), correct, b.count());
                }
                listener.onBatch(batchIndex, tally.meanLoss(), tally.accuracy(), tally.imagesPerSecond());
            }
            return tally.metrics(epoch + 1, lr, loader.skippedImages());
        }
    }
}
