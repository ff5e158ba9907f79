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
import org.densenet4j.data.AugmentationKind;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.infer.ConfusionPlot;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.Freeze;
import org.densenet4j.model.MemoryPlan;
import org.densenet4j.model.ModelSummary;
import org.densenet4j.model.Preset;
import org.densenet4j.train.DenseNetTrainer;
import org.densenet4j.train.LearningRateSchedule;
import org.densenet4j.train.PretrainedStart;
import org.densenet4j.train.StopRequestedException;
import org.densenet4j.train.TrainingRecipe;
import org.densenet4j.train.TrainingResult;
import org.densenet4j.train.TrainingStep;
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

    @Option(
            names = "--model",
            paramLabel = "NAME",
            converter = PresetConverter.class,
            description = "Preset to train (default: a DenseNet-BC suited to this machine, see MachineDefaults; "
                    + "with --weights: the one they hold, required for a .pth).")
    Preset preset;

    @Option(
            names = "--weights",
            paramLabel = "FILE|NAME",
            description = "Fine-tune: start from these weights, a densenet4j checkpoint, a PyTorch .pth (with "
                    + "--model and, if needed, --layout) or pretrained weights by name (--model densenet121 "
                    + "--weights imagenet). All but the classifier must fit; a classifier of another "
                    + "class count is re-initialised. Grey images feed a colour model as three equal channels.")
    Path weights;

    @Mixin
    PthOptions pth = new PthOptions();

    @Option(
            names = "--freeze",
            paramLabel = "PART",
            defaultValue = "none",
            converter = FreezeConverter.class,
            description = "With --weights: none, features (only the classifier trains: a linear probe) or blockN "
                    + "(the stem, dense blocks 1..N and their transitions stay fixed). Frozen batch norms keep "
                    + "their statistics (default: ${DEFAULT-VALUE}).")
    Freeze freeze;

    @Option(
            names = "--backbone-lr-scale",
            paramLabel = "X",
            defaultValue = "1",
            description = "With --weights: the learning rate of everything but the classifier, as a fraction of "
                    + "--lr (default: ${DEFAULT-VALUE}).")
    double backboneLrScale;

    @Option(
            names = "--no-feature-cache",
            description = "With --freeze features and --no-augment: run the whole network every epoch instead of "
                    + "computing each image's features once (the same result, slower; for comparison).")
    boolean noFeatureCache;

    @Option(
            names = "--refit-normalization",
            description = "With --weights: compute the mean and std from the training images instead of "
                    + "using the ones the weights were trained with.")
    boolean refitNormalization;

    @Mixin
    DataOptions data;

    @Option(names = "--epochs", description = "Epochs (default: the main job's, sized for this machine).")
    Integer epochs;

    @Option(names = "--batch-size", defaultValue = "64", description = "Default: ${DEFAULT-VALUE} (paper).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.1", description = "Initial learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--momentum", defaultValue = "0.9", description = "Nesterov momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--weight-decay", defaultValue = "1e-4", description = "Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(
            names = "--schedule",
            defaultValue = "STEP",
            description = "${COMPLETION-CANDIDATES}: step divides by 10 at 50%% and 75%% (default: ${DEFAULT-VALUE}).")
    LearningRateSchedule schedule;

    @Option(
            names = "--dropout",
            defaultValue = "0",
            description = "Dropout after each conv (paper: 0.2 without " + "augmentation; default: ${DEFAULT-VALUE}).")
    float dropout;

    @Option(
            names = "--memory-efficient",
            description = "Recompute each dense layer in backward instead of keeping "
                    + "its activations: memory grows linearly with depth, at the cost of a second forward pass. Same "
                    + "gradients; needs --dropout 0.")
    boolean memoryEfficient;

    @Option(
            names = "--precision",
            defaultValue = "fp32",
            paramLabel = "fp32|bf16",
            converter = PrecisionOption.Converter.class,
            description = "fp32, or bf16 mixed precision: convolutions and the classifier in bfloat16 inside libtorch, "
                    + "float32 master weights, gradients, BN statistics and loss, as torch.autocast (needs a CPU "
                    + "with avx512_bf16 or amx_bf16) (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(
            names = "--augment",
            paramLabel = "crop,flip|crop|flip|none",
            converter = AugmentationConverter.class,
            description = "Training augmentation: random crops (4-pixel-padded, or torchvision's random resized crop "
                    + "for ImageNet-sized models) and horizontal flips; leave out flips for images whose orientation "
                    + "matters (default: crop,flip).")
    AugmentationKind augment;

    @Option(names = "--no-augment", description = "Turn off random crops and flips (the same as --augment none).")
    boolean noAugment;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(
            names = "--run-dir",
            paramLabel = "DIR",
            description = "Where checkpoints and metrics go (default: runs/DATASET-MODEL, or the next free "
                    + "runs/DATASET-MODEL-N when an earlier run holds it).")
    Path runDir;

    @Option(
            names = "--resume",
            description = "Continue from the run folder's checkpoint (without --run-dir: the "
                    + "newest run of this dataset and model).")
    boolean resume;

    @Option(
            names = "--overwrite",
            description = "Start afresh in a --run-dir that holds a run, replacing its "
                    + "checkpoint and metrics. Without it, a run folder that holds a run is never overwritten.")
    boolean overwrite;

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
        precision.requireSupport();
        if (weights == null && (refitNormalization || !freeze.isNone() || backboneLrScale != 1)) {
            throw new IllegalArgumentException("--refit-normalization, --freeze and --backbone-lr-scale fine-tune "
                    + "pretrained weights: give them with --weights FILE");
        }
        try (NDManager pretrainedManager = NDManager.newBaseManager()) {
            PretrainedStart pretrained = weights == null ? null : loadPretrained(pretrainedManager);
            return run(interruption, pretrained);
        }
    }

    /** --augment, or none with --no-augment; both at once must agree. */
    private AugmentationKind augmentation() {
        if (noAugment && augment != null && augment != AugmentationKind.NONE) {
            throw new IllegalArgumentException(
                    "--no-augment and --augment " + augment.cliName() + " disagree: give one");
        }
        return noAugment ? AugmentationKind.NONE : augment != null ? augment : AugmentationKind.CROP_FLIP;
    }

    /** Parses --augment; an unknown value is a usage error. */
    static final class AugmentationConverter extends ParsingConverter<AugmentationKind> {
        AugmentationConverter() {
            super(AugmentationKind::parse);
        }
    }

    /** The --weights to start from; a .pth holds the --model preset and as many classes as its classifier. */
    private PretrainedStart loadPretrained(NDManager manager) throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PretrainedFiles.Source source = PretrainedFiles.resolve(weights, preset, null, pth, err);
        TrainedModel model =
                ModelFiles.open(source.file(), source.options(), manager, w -> CheckpointOption.warn(err, w));
        return new PretrainedStart(model, refitNormalization);
    }

    private int run(Interruption interruption, PretrainedStart pretrained) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        DatasetSplits loaded = pretrained == null
                ? data.load(MAIN_DATASET, null, null, seed)
                : data.load(
                        MAIN_DATASET,
                        pretrained.weights().spec().resizeAndCrop(),
                        pretrained.weights().spec().height(),
                        seed);
        MachineDefaults defaults = MachineDefaults.forThisMachine();
        int epochCount = epochs != null ? epochs : defaults.epochs();
        String modelName;
        DenseNetConfig config;
        if (pretrained != null) {
            modelName = pretrained.weights().spec().modelName();
            config = pretrained.configFor(loaded.train().classCount(), dropout);
        } else {
            Preset model = preset != null ? preset : defaults.preset();
            modelName = model.name();
            config = model.builder()
                    .optInputChannels(loaded.train().channels())
                    .optClasses(loaded.train().classCount())
                    .optDropRate(dropout)
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
                batchSize,
                memoryEfficient ? MemoryPlan.Use.MEMORY_EFFICIENT_TRAINING : MemoryPlan.Use.TRAINING,
                "--batch-size");
        TrainingRecipe recipe = new TrainingRecipe(
                        epochCount, batchSize, learningRate, momentum, weightDecay, schedule, true, seed)
                .augmentedWith(augmentation())
                .fineTuning(freeze, backboneLrScale)
                .inPrecision(precision);
        if (resume && overwrite) {
            throw new IllegalArgumentException("--resume continues a run and --overwrite replaces it: give one");
        }
        Path dir = runDir != null
                ? runDir
                : RunFolders.forNewOrResumedRun(defaultRunDir(splits.name(), modelName), resume, out);
        if (overwrite) {
            RunFolders.clear(dir, out);
        }
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
                precision == Precision.BF16 ? ", bf16 mixed precision" : "");
        if (pretrained != null) {
            out.printf(
                    "fine-tuning from %s: freeze %s, backbone learning rate x%s, normalization %s%n",
                    TerminalText.escape(weights),
                    freeze.cliName(),
                    backboneLrScale,
                    refitNormalization ? "from the training images" : "from the weights");
        }
        out.flush();
        TrainingResult result;
        try (ProgressListener progress = new ProgressListener(out)) {
            DenseNetTrainer trainer = new DenseNetTrainer(
                            recipe, dir, progress, memoryEfficient ? TrainingStep.MEMORY_EFFICIENT : TrainingStep.PLAIN)
                    .stopWhen(interruption::requested)
                    .startFrom(pretrained)
                    .cacheFeatures(!noFeatureCache);
            result = trainer.train(modelName, config, splits, resume);
        } catch (StopRequestedException e) {
            // Said before the interruption closes: once it does, the JVM finishes shutting down.
            spec.commandLine().getErr().println("densenet4j train: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return Interruption.EXIT_INTERRUPTED;
        }

        out.printf(
                "%ntest set after %d epochs (%.0f s of training in this run):%n",
                result.history().size(), result.trainingSeconds());
        EvaluationPrinter.print(out, result.finalEvaluation());
        ConfusionPlot.write(result.finalEvaluation(), dir.resolve("confusion.png"));
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

    /** Parses --freeze; an unknown part is a usage error. */
    static final class FreezeConverter extends ParsingConverter<Freeze> {
        FreezeConverter() {
            super(Freeze::parse);
        }
    }
}
