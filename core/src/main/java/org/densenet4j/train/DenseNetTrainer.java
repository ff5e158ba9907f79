package org.densenet4j.train;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.data.Augmentation;
import org.densenet4j.data.Batch;
import org.densenet4j.data.BatchLoader;
import org.densenet4j.data.Batches;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.Normalization;
import org.densenet4j.data.Seeds;
import org.densenet4j.infer.EvaluationReport;
import org.densenet4j.infer.Evaluator;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a DenseNet with a {@link TrainingRecipe}, evaluating on the test split and writing an atomic
 * checkpoint and the metrics after every epoch; {@code resume} continues from the run's checkpoint.
 *
 * <pre>{@code
 * TrainingResult r = new DenseNetTrainer(TrainingRecipe.paper(40), Path.of("runs/c10"), listener)
 *         .train("densenet-bc-100-12", config, splits, false);
 * }</pre>
 */
public final class DenseNetTrainer {

    /** The checkpoint file inside a run folder. */
    public static final String CHECKPOINT = "checkpoint.d4j";

    private static final Logger LOG = LoggerFactory.getLogger(DenseNetTrainer.class);

    private final TrainingRecipe recipe;
    private final Path runDir;
    private final TrainingListener listener;
    private final TrainingStep step;
    private java.util.function.BooleanSupplier stopRequested = () -> false;
    private PretrainedStart pretrained;
    private boolean cacheFeatures = true;

    /**
     * A trainer with the plain training step.
     *
     * @param listener hears about progress; null logs it through SLF4J ({@link LoggingTrainingListener})
     */
    public DenseNetTrainer(TrainingRecipe recipe, Path runDir, TrainingListener listener) {
        this(recipe, runDir, listener, TrainingStep.PLAIN);
    }

    /** A trainer computing gradients with {@code step}; both steps give the same gradients. */
    public DenseNetTrainer(TrainingRecipe recipe, Path runDir, TrainingListener listener, TrainingStep step) {
        this.recipe = recipe;
        this.runDir = runDir;
        this.listener = listener == null ? new LoggingTrainingListener() : listener;
        this.step = step;
    }

    /**
     * Makes training stop cleanly when {@code stopRequested} turns true: it is asked before every step, and
     * training then ends with a {@link StopRequestedException} that names the last checkpoint. The step in
     * progress finishes first, so no native work is abandoned mid-way.
     */
    public DenseNetTrainer stopWhen(java.util.function.BooleanSupplier stopRequested) {
        this.stopRequested = stopRequested;
        return this;
    }

    /**
     * Makes a new run start from pretrained weights instead of a random initialisation (fine-tuning): every
     * tensor but a classifier of another class count is copied, and the normalisation is the pretrained model's.
     * A resumed run continues from its checkpoint, which already holds them.
     */
    public DenseNetTrainer startFrom(PretrainedStart pretrained) {
        this.pretrained = pretrained;
        return this;
    }

    /**
     * Turns the linear probe's fast path on or off (on by default): with {@link
     * org.densenet4j.model.Freeze#FEATURES} and no augmentation, each training image's features are computed once
     * and the classifier trains on them ({@link FeatureCache}); off, every epoch runs the whole network.
     */
    public DenseNetTrainer cacheFeatures(boolean cacheFeatures) {
        this.cacheFeatures = cacheFeatures;
        return this;
    }

    /** A few words on the run a checkpoint holds, for messages; a damaged one is still named. */
    private static String describe(Path checkpoint) {
        try {
            Checkpoint c = CheckpointFile.readDescription(checkpoint);
            return c.spec().modelName() + ", " + c.epochsCompleted() + " of "
                    + c.recipe().epochs() + " epochs done";
        } catch (IOException | RuntimeException e) {
            return checkpoint.getFileName() + ", unreadable: " + e.getMessage();
        }
    }

    public Path checkpointPath() {
        return runDir.resolve(CHECKPOINT);
    }

    /**
     * Trains (or resumes) and returns the result.
     *
     * @param modelName the preset name, recorded with the model
     * @param resume continue from the run folder's checkpoint if there is one
     * @throws RunExistsException if {@code resume} is false and the run folder already holds a checkpoint:
     *     a finished or interrupted run is never overwritten silently
     * @throws DivergedException if the loss becomes NaN or infinite; the last checkpoint is kept
     * @throws IOException if a checkpoint cannot be read or written
     */
    public TrainingResult train(String modelName, DenseNetConfig config, DatasetSplits splits, boolean resume)
            throws IOException {
        DatasetSplits data = splits.asChannels(config.inputChannels());
        checkFits(config, data);
        step.checkSupports(config);
        recipe.freeze().checkFits(config);
        recipe.precision().requireSupport();
        if (!recipe.freeze().isNone() && step == TrainingStep.MEMORY_EFFICIENT) {
            throw new IllegalArgumentException("freezing " + recipe.freeze().cliName() + " and the memory-efficient "
                    + "step do not go together: the memory-efficient pass recomputes every layer in training mode");
        }
        if (Files.exists(runDir) && !Files.isDirectory(runDir)) {
            throw new IllegalArgumentException(runDir + " is a file, not a run folder: choose a folder for the run");
        }
        Files.createDirectories(runDir);
        Path checkpoint = checkpointPath();
        if (!resume && Files.exists(checkpoint)) {
            throw new RunExistsException(runDir, describe(checkpoint));
        }
        int leftovers = AtomicFile.removeLeftovers(runDir);
        if (leftovers > 0) {
            LOG.info("removed {} temporary file(s) an interrupted write left in {}", leftovers, runDir);
        }
        Checkpoint previous = null;
        if (resume && Files.exists(checkpoint)) {
            previous = CheckpointFile.readDescription(checkpoint);
            checkResumable(previous, config, data);
        } else if (resume) {
            LOG.warn("resuming: no checkpoint at {}, starting a new run", checkpoint);
        }
        Normalization normalization;
        if (previous != null) {
            normalization = previous.spec().normalization();
        } else if (pretrained != null && !pretrained.refitNormalization()) {
            normalization = pretrained.weights().spec().normalization();
        } else {
            normalization = Normalization.fit(data.train());
        }
        ModelSpec spec = new ModelSpec(
                modelName,
                config,
                data.train().height(),
                data.train().width(),
                data.train().classNames(),
                normalization,
                data.train().resizeAndCrop());
        List<EpochMetrics> history = new ArrayList<>(previous != null ? previous.history() : List.of());

        Engine.getInstance().setRandomSeed((int) recipe.seed());
        NesterovSgd optimizer = NesterovSgd.builder()
                .optLearningRate((float) recipe.learningRate())
                .optMomentum((float) recipe.momentum())
                .optWeightDecays((float) recipe.weightDecay())
                .build();
        DenseNet network = new DenseNet(config);
        try (Model model = Model.newInstance(modelName)) {
            model.setBlock(network);
            network.initialize(model.getNDManager(), DataType.FLOAT32, spec.batchShape(1));
            if (previous != null) {
                CheckpointFile.loadInto(checkpoint, network, model.getNDManager());
            } else if (pretrained != null) {
                listener.onPretrainedLoaded(pretrained.copyInto(network, spec.classNames()));
            }
            network.freeze(recipe.freeze());
            try (MixedPrecisionPass mixed =
                    recipe.precision() == Precision.BF16 ? MixedPrecisionPass.compile(network) : null) {
                TrainingPass forward = mixed != null ? mixed : TrainingPass.FLOAT32;
                return train(model, network, forward, optimizer, spec, data, history, previous);
            }
        }
    }

    /** The epochs still to run, on the built network, each followed by evaluation and a checkpoint. */
    private TrainingResult train(
            Model model,
            DenseNet network,
            TrainingPass forward,
            NesterovSgd optimizer,
            ModelSpec spec,
            DatasetSplits data,
            List<EpochMetrics> history,
            Checkpoint previous)
            throws IOException {
        Path checkpoint = checkpointPath();
        DefaultTrainingConfig trainingConfig =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(optimizer);
        try (Trainer trainer = model.newTrainer(trainingConfig)) {
            trainer.initialize(spec.batchShape(1));
            scaleBackboneRate(network, optimizer);
            FeatureCache probe = null;
            if (cacheFeatures && recipe.freeze().features() && !recipe.augment()) {
                long start = System.nanoTime();
                probe = FeatureCache.compute(
                        network, data.train(), spec.normalization(), recipe.batchSize(), model.getNDManager());
                listener.onFeaturesCached(data.train().size(), (System.nanoTime() - start) / 1e9);
                if (recipe.precision() == Precision.BF16) {
                    LOG.info("freezing the features trains only the classifier, on features computed once: it runs in "
                            + "float32 (bf16 would save nothing measurable on one linear layer)");
                }
            }
            if (previous != null) {
                CheckpointFile.restoreMomentum(checkpoint, network, optimizer, model.getNDManager());
                LOG.info("resuming {} after epoch {}", checkpoint, previous.epochsCompleted());
            }
            double seconds = 0;
            EvaluationReport report = null;
            for (int epoch = history.size(); epoch < recipe.epochs(); epoch++) {
                EpochMetrics m = runEpoch(trainer, forward, optimizer, spec, data, epoch, probe);
                seconds += m.seconds();
                report = Evaluator.evaluate(network, spec, data.test(), recipe.batchSize(), model.getNDManager());
                m = new EpochMetrics(
                        m.epoch(),
                        m.learningRate(),
                        m.trainLoss(),
                        m.trainAccuracy(),
                        report.loss(),
                        report.top1(),
                        report.top5(),
                        m.seconds(),
                        m.imagesPerSecond(),
                        m.skippedImages());
                history.add(m);
                listener.onEpochEnd(m);
                CheckpointFile.write(
                        checkpoint, new Checkpoint(spec, epoch + 1, data.name(), recipe, history), network, optimizer);
                MetricsReport.write(runDir, history);
                listener.onCheckpoint(checkpoint, epoch + 1);
            }
            if (report == null) {
                report = Evaluator.evaluate(network, spec, data.test(), recipe.batchSize(), model.getNDManager());
            }
            return new TrainingResult(spec, List.copyOf(history), report, checkpoint, seconds);
        }
    }

    /** Gives every parameter but the classifier's the recipe's fraction of the learning rate. */
    private void scaleBackboneRate(DenseNet network, NesterovSgd optimizer) {
        if (recipe.backboneLrScale() == 1) {
            return;
        }
        java.util.Set<Parameter> classifier = new java.util.HashSet<>(
                network.head().classifier().getParameters().values());
        for (Parameter p : network.getParameters().values()) {
            if (!classifier.contains(p)) {
                optimizer.scaleLearningRate(p.getId(), (float) recipe.backboneLrScale());
            }
        }
    }

    /** One epoch over the training images, or over their cached features when {@code probe} is not null. */
    private EpochMetrics runEpoch(
            Trainer trainer,
            TrainingPass forward,
            NesterovSgd optimizer,
            ModelSpec spec,
            DatasetSplits data,
            int epoch,
            FeatureCache probe) {
        double lr = recipe.learningRate(epoch);
        optimizer.setLearningRate((float) lr);
        // Dropout draws from the engine's generator: seeding it per epoch makes a resumed epoch
        // identical to the uninterrupted one.
        Engine.getInstance().setRandomSeed((int) Seeds.mix(recipe.seed(), epoch + 1_000_003L));
        Augmentation augmentation = Augmentation.of(recipe.augmentation());
        long start = System.nanoTime();
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        int batchIndex = 0;
        try (Batches loader = probe != null
                ? probe.epoch(recipe.batchSize(), recipe.seed(), epoch)
                : BatchLoader.training(
                        data.train(), recipe.batchSize(), spec.normalization(), augmentation, recipe.seed(), epoch)) {
            listener.onEpochStart(epoch + 1, recipe.epochs(), loader.batchCount(), lr);
            while (loader.hasNext()) {
                if (stopRequested.getAsBoolean()) {
                    throw new StopRequestedException(
                            "training stopped on request at epoch " + (epoch + 1) + ", batch " + (batchIndex + 1)
                                    + ". "
                                    + (epoch > 0
                                            ? "The checkpoint after epoch " + epoch + " is kept at "
                                                    + checkpointPath() + "; resuming the run with the same settings "
                                                    + "continues from it."
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
                        throw new DivergedException("loss became " + loss + " at epoch " + (epoch + 1)
                                + ", batch " + batchIndex + " (learning rate " + lr + "); training stopped. "
                                + (epoch > 0
                                        ? "The last good checkpoint (after epoch " + epoch + ") is kept at "
                                                + checkpointPath() + ". "
                                        : "No epoch finished, so no checkpoint was written. ")
                                + "Lower the learning rate and start again.");
                    }
                    trainer.step();
                    correct += pass.logits()
                            .argMax(1)
                            .toType(DataType.INT32, false)
                            .eq(y.toType(DataType.INT32, false))
                            .sum()
                            .getLong();
                    lossSum += (double) loss * b.count();
                    seen += b.count();
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                listener.onBatch(batchIndex, lossSum / seen, correct / (double) seen, seen / elapsed);
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            return new EpochMetrics(
                    epoch + 1,
                    lr,
                    seen == 0 ? Double.NaN : lossSum / seen,
                    seen == 0 ? 0 : correct / (double) seen,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    elapsed,
                    seen / elapsed,
                    loader.skippedImages());
        }
    }

    private static void checkFits(DenseNetConfig config, DatasetSplits data) {
        if (config.classes() != data.train().classCount()) {
            throw new IllegalArgumentException("the model has " + config.classes() + " classes but " + data.name()
                    + " has " + data.train().classCount());
        }
        if (config.inputChannels() != data.train().channels()) {
            throw new IllegalArgumentException("the model takes " + config.inputChannels() + " channel(s) but "
                    + data.name() + " images have " + data.train().channels());
        }
        config.checkInputSize(data.train().height(), data.train().width());
    }

    private void checkResumable(Checkpoint previous, DenseNetConfig config, DatasetSplits data) throws IOException {
        Path file = checkpointPath();
        if (!previous.spec().config().equals(config)) {
            throw new IOException(
                    file + ": holds another model (" + previous.spec().modelName() + ", "
                            + previous.spec().config().describe() + "); this run builds " + config.describe()
                            + ". Use another run folder or the same model settings.");
        }
        if (!previous.dataset().equals(data.name())) {
            throw new IOException(file + ": was trained on " + previous.dataset() + ", not " + data.name());
        }
        if (!previous.recipe().equals(recipe)) {
            throw new IOException(file + ": was trained with " + previous.recipe() + "; resuming needs the same "
                    + "settings, got " + recipe);
        }
    }
}
