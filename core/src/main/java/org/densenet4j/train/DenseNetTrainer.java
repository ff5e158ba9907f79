package org.densenet4j.train;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.infer.EvaluationReport;
import org.densenet4j.infer.Evaluator;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a DenseNet with a {@link TrainingRecipe}: opens the {@link RunFolder}, chooses the {@link TrainingStart}
 * (the run's own checkpoint, pretrained weights or a random initialisation), then runs the remaining epochs
 * ({@link EpochRunner}), each evaluated on the test split and followed by an atomic checkpoint and the metrics.
 *
 * <pre>{@code
 * TrainingResult r = new DenseNetTrainer(TrainingRecipe.paper(40), Path.of("runs/c10"), listener)
 *         .train("densenet-bc-100-12", config, splits, false);
 * }</pre>
 */
public final class DenseNetTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(DenseNetTrainer.class);

    private final TrainingRecipe recipe;
    private final RunFolder runFolder;
    private final TrainingListener listener;
    private final TrainingStep step;
    private BooleanSupplier stopRequested = () -> false;
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
        this.runFolder = new RunFolder(runDir);
        this.listener = listener == null ? new LoggingTrainingListener() : listener;
        this.step = step;
    }

    /**
     * Makes training stop cleanly when {@code stopRequested} turns true: it is asked before every step, and
     * training then ends with a {@link StopRequestedException} that names the last checkpoint. The step in
     * progress finishes first, so no native work is abandoned mid-way.
     */
    public DenseNetTrainer stopWhen(BooleanSupplier stopRequested) {
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

    /** Where this run's checkpoint is written. */
    public Path checkpointPath() {
        return runFolder.checkpoint();
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
        TrainingStart start = TrainingStart.choose(runFolder, runFolder.open(resume), pretrained);
        start.checkContinues(config, data.train().classNames(), data.name(), recipe);
        ModelSpec spec = new ModelSpec(
                modelName,
                config,
                data.train().height(),
                data.train().width(),
                data.train().classNames(),
                start.normalization(data.train()),
                data.train().resizeAndCrop());

        Engine.getInstance().setRandomSeed((int) recipe.seed());
        NesterovSgd optimizer = recipe.optimizer();
        DenseNet network = new DenseNet(config);
        try (Model model = Model.newInstance(modelName)) {
            model.setBlock(network);
            network.initialize(model.getNDManager(), DataType.FLOAT32, spec.batchShape(1));
            start.fill(network, spec.classNames(), model.getNDManager(), listener);
            network.freeze(recipe.freeze());
            try (MixedPrecisionPass mixed =
                    recipe.precision() == Precision.BF16 ? MixedPrecisionPass.compile(network) : null) {
                TrainingPass forward = mixed != null ? mixed : TrainingPass.FLOAT32;
                return train(model, network, forward, optimizer, spec, data, start);
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
            TrainingStart start)
            throws IOException {
        Path checkpoint = runFolder.checkpoint();
        List<EpochMetrics> history = new ArrayList<>(start.history());
        DefaultTrainingConfig trainingConfig =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(optimizer);
        try (Trainer trainer = model.newTrainer(trainingConfig)) {
            trainer.initialize(spec.batchShape(1));
            scaleBackboneRate(network, optimizer);
            FeatureCache probe = null;
            if (cacheFeatures && recipe.freeze().features() && !recipe.augment()) {
                long began = System.nanoTime();
                probe = FeatureCache.compute(
                        network, data.train(), spec.normalization(), recipe.batchSize(), model.getNDManager());
                listener.onFeaturesCached(data.train().size(), (System.nanoTime() - began) / 1e9);
                if (recipe.precision() == Precision.BF16) {
                    LOG.info("freezing the features trains only the classifier, on features computed once: it runs in "
                            + "float32 (bf16 would save nothing measurable on one linear layer)");
                }
            }
            if (start.resumes()) {
                start.restoreOptimizer(network, optimizer, model.getNDManager());
                LOG.info("resuming {} after epoch {}", checkpoint, history.size());
            }
            EpochRunner epochs = new EpochRunner(recipe, step, listener, stopRequested, checkpoint);
            double seconds = 0;
            EvaluationReport report = null;
            for (int epoch = history.size(); epoch < recipe.epochs(); epoch++) {
                EpochMetrics m = epochs.run(trainer, forward, optimizer, spec, data.train(), epoch, probe);
                seconds += m.seconds();
                report = Evaluator.evaluate(network, spec, data.test(), recipe.batchSize(), model.getNDManager());
                m = m.withTest(report);
                history.add(m);
                listener.onEpochEnd(m);
                CheckpointFile.write(
                        checkpoint, new Checkpoint(spec, epoch + 1, data.name(), recipe, history), network, optimizer);
                MetricsReport.write(runFolder.dir(), history);
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
        Set<Parameter> classifier =
                new HashSet<>(network.head().classifier().getParameters().values());
        for (Parameter p : network.getParameters().values()) {
            if (!classifier.contains(p)) {
                optimizer.scaleLearningRate(p.getId(), (float) recipe.backboneLrScale());
            }
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
}
