package org.densenet4j.cli;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.base.FileNames;
import org.densenet4j.base.TerminalText;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.infer.ConfusionPlot;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.MemoryPlan;
import org.densenet4j.model.ModelSummary;
import org.densenet4j.model.Preset;
import org.densenet4j.train.DenseNetTrainer;
import org.densenet4j.train.PretrainedStart;
import org.densenet4j.train.RunFolder;
import org.densenet4j.train.StopRequestedException;
import org.densenet4j.train.TrainingRecipe;
import org.densenet4j.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code densenet4j train}: trains with the paper's recipe, then evaluates and shows predictions.
 * With no arguments it is the project's main job: a DenseNet-BC sized for this machine on Fashion-MNIST.
 */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = "Train a DenseNet with the paper's recipe (Nesterov SGD, step schedule, \"+\" augmentation), "
                + "evaluate it and show predictions for a few test images.")
final class TrainCommand implements Callable<Integer> {

    /** The main job's dataset. */
    static final String MAIN_DATASET = "fashion-mnist";

    @Mixin
    PresetOption model = new PresetOption();

    @Mixin
    FineTuningOptions fineTuning = new FineTuningOptions();

    @Mixin
    DataOptions data;

    @Mixin
    RecipeOptions recipe = new RecipeOptions();

    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Mixin
    RunFolderOptions run = new RunFolderOptions();

    @Option(
            names = "--show",
            defaultValue = "8",
            description = "Test images to predict at the end (default: " + "${DEFAULT-VALUE}).")
    int show;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        // Open from start to end: a signal during the final evaluation or predictions waits for them too.
        try (Interruption interruption = new Interruption()) {
            return run(interruption);
        }
    }

    private int run(Interruption interruption) throws IOException {
        precision.precision().requireSupport();
        try (NDManager pretrainedManager = NDManager.newBaseManager()) {
            PretrainedStart pretrained = fineTuning.load(
                    model.preset(), pretrainedManager, spec.commandLine().getErr());
            return run(interruption, pretrained);
        }
    }

    private int run(Interruption interruption, PretrainedStart pretrained) throws IOException {
        if (!fineTuning.freeze.isNone() && recipe.memoryEfficient) {
            throw new IllegalArgumentException("--freeze " + fineTuning.freeze.cliName() + " and --memory-efficient "
                    + "do not go together: the memory-efficient pass recomputes every layer in training mode");
        }
        PrintWriter out = spec.commandLine().getOut();
        DatasetSplits loaded = pretrained == null
                ? data.load(MAIN_DATASET, null, null, recipe.seed)
                : data.load(
                        MAIN_DATASET,
                        pretrained.weights().spec().resizeAndCrop(),
                        pretrained.weights().spec().height(),
                        recipe.seed);
        MachineDefaults defaults = MachineDefaults.forThisMachine();
        int epochCount = recipe.epochs(defaults.epochs());
        String modelName;
        DenseNetConfig config;
        if (pretrained != null) {
            modelName = pretrained.weights().spec().modelName();
            config = pretrained.configFor(loaded.train().classCount(), recipe.dropout);
        } else {
            Preset preset = model.preset() != null ? model.preset() : defaults.preset();
            modelName = preset.name();
            config = preset.builder()
                    .optInputChannels(loaded.train().channels())
                    .optClasses(loaded.train().classCount())
                    .optDropRate(recipe.dropout)
                    .build();
        }
        DatasetSplits splits = loaded.asChannels(config.inputChannels());
        MemoryCheck.require(
                "training " + modelName,
                config,
                new Shape(
                        splits.train().channels(),
                        splits.train().height(),
                        splits.train().width()),
                recipe.batchSize,
                recipe.memoryEfficient ? MemoryPlan.Use.MEMORY_EFFICIENT_TRAINING : MemoryPlan.Use.TRAINING,
                "--batch-size");
        TrainingRecipe trainingRecipe =
                recipe.recipe(epochCount, fineTuning.freeze, fineTuning.backboneLrScale, precision.precision());
        Path dir = run.folder(splits.name(), modelName, out);
        out.printf(
                "training %s (%,d parameters) on %s: %d training and %d test images of %dx%dx%d, %d epochs%s%n",
                TerminalText.escape(modelName),
                ModelSummary.of(
                                config,
                                new Shape(
                                        splits.train().channels(),
                                        splits.train().height(),
                                        splits.train().width()))
                        .parameters(),
                TerminalText.escape(splits.name()),
                splits.train().size(),
                splits.test().size(),
                splits.train().channels(),
                splits.train().height(),
                splits.train().width(),
                epochCount,
                precision.precision() == Precision.BF16 ? ", bf16 mixed precision" : "");
        if (pretrained != null) {
            out.printf(
                    "fine-tuning from %s: freeze %s, backbone learning rate x%s, normalization %s%n",
                    TerminalText.escape(fineTuning.weights),
                    fineTuning.freeze.cliName(),
                    fineTuning.backboneLrScale,
                    fineTuning.refitNormalization ? "from the training images" : "from the weights");
        }
        out.flush();
        TrainingResult result;
        try (ProgressListener progress = new ProgressListener(out)) {
            DenseNetTrainer trainer = new DenseNetTrainer(trainingRecipe, dir, progress, recipe.step())
                    .stopWhen(interruption::requested)
                    .startFrom(pretrained)
                    .cacheFeatures(!fineTuning.noFeatureCache);
            result = trainer.train(modelName, config, splits, run.resume);
        } catch (StopRequestedException e) {
            // Said before the interruption closes: once it does, the JVM finishes shutting down.
            spec.commandLine()
                    .getErr()
                    .println("densenet4j train: " + e.getMessage()
                            + (e.resumable() ? " Continue with --resume (the same settings and --run-dir)." : ""));
            spec.commandLine().getErr().flush();
            return Interruption.EXIT_INTERRUPTED;
        }

        out.printf(
                "%ntest set after %d epochs (%.0f s of training in this run):%n",
                result.history().size(), result.trainingSeconds());
        EvaluationPrinter.print(out, result.finalEvaluation());
        ConfusionPlot.write(result.finalEvaluation(), dir.resolve(RunFolder.CONFUSION));
        out.printf(
                "checkpoint: %s (images %s)%nmetrics: %s, %s, %s%n",
                result.checkpoint(),
                result.spec().describePreprocessing(),
                dir.resolve("metrics.csv"),
                dir.resolve("metrics.json"),
                dir.resolve("curves.png"));
        showPredictions(out, splits.test(), result, dir.resolve("samples"));
        return 0;
    }

    /** Writes a few test images as PNG files and classifies those files, as a user's images would be. */
    private void showPredictions(PrintWriter out, ImageDataset test, TrainingResult result, Path samples)
            throws IOException {
        if (show <= 0) {
            return;
        }
        List<BufferedImage> images = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        Files.createDirectories(samples);
        for (int i = 0; i < Math.min(show, test.size()); i++) {
            BufferedImage img = ImageConverter.toImage(test.pixels(i), test.channels(), test.height(), test.width());
            Path file = samples.resolve("test-" + i + ".png");
            AtomicFile.write(file, target -> ImageIO.write(img, "png", target));
            images.add(ImageIO.read(file.toFile()));
            lines.add(TerminalText.escape(file) + "  true: "
                    + TerminalText.escape(test.classNames().get(test.label(i))));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel loaded = ModelFiles.open(result.checkpoint(), manager);
            ImageClassifier classifier = new ImageClassifier(loaded.network(), loaded.spec(), manager);
            List<Classifications> predictions = classifier.classify(images);
            out.println("\npredictions for test images:");
            for (int i = 0; i < images.size(); i++) {
                Classifications.Classification best = predictions.get(i).best();
                out.printf(
                        "  %s  predicted: %s (%.1f%%)%n",
                        lines.get(i), TerminalText.escape(best.getClassName()), 100 * best.getProbability());
            }
        }
        out.flush();
    }

    /** runs/DATASET-MODEL, where a run goes unless --run-dir says otherwise. */
    static Path defaultRunDir(String dataset, String model) {
        return Path.of("runs", FileNames.part(Path.of(dataset).getFileName().toString()) + "-" + model);
    }
}
