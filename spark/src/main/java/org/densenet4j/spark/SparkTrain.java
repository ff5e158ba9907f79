package org.densenet4j.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.densenet4j.base.TerminalText;
import org.densenet4j.cli.CheckpointOption;
import org.densenet4j.cli.PrecisionOption;
import org.densenet4j.data.AugmentationKind;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.Normalization;
import org.densenet4j.data.ResizeAndCrop;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.Freeze;
import org.densenet4j.model.Preset;
import org.densenet4j.train.Checkpoint;
import org.densenet4j.train.PretrainedStart;
import org.densenet4j.train.RunFolder;
import org.densenet4j.train.TrainingRecipe;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code densenet4j spark-train}: trains on Apache Spark and writes the run folder {@code train} writes. With
 * {@code --freeze features} it is a linear probe: executors compute each image's features once and Spark MLlib fits
 * the classifier ({@link LinearProbeJob}). Runs in local mode from the launcher, or on a cluster via spark-submit.
 */
@Command(
        name = "spark-train",
        mixinStandardHelpOptions = true,
        description = "Train on Apache Spark: --freeze features fits a linear probe of pretrained weights with "
                + "Spark MLlib; writes the run folder (checkpoint, metrics, curves) that train writes.")
public final class SparkTrain implements Callable<Integer> {

    @Option(
            names = "--input",
            required = true,
            paramLabel = "DIR|TABLE",
            description = "A folder with one sub-folder per class (train/ and test/, or split by --holdout), on a "
                    + "filesystem every executor sees; or a Parquet table with a string 'label' column (the class "
                    + "name), a 'path' (string) or 'content' (binary) column, and optionally a 'split' column "
                    + "(train or test).")
    String input;

    @Option(
            names = "--input-format",
            defaultValue = "auto",
            description = "images (a class folder), parquet, or auto: parquet when the input ends in .parquet "
                    + "(default: ${DEFAULT-VALUE}).")
    String inputFormat;

    @Option(
            names = "--holdout",
            defaultValue = "0.1",
            description = "Without train/ and test/ (or a table's split column): the fraction held out for "
                    + "testing, chosen by --seed as train chooses it (default: ${DEFAULT-VALUE}).")
    double holdout;

    @Option(names = "--run-dir", required = true, paramLabel = "DIR", description = "Where the run folder goes.")
    Path runDir;

    @Option(names = "--overwrite", description = "Replace the run a --run-dir already holds.")
    boolean overwrite;

    /** The weights to start from: --weights FILE (a shared path, or shipped with --files) or NAME with --model. */
    @Mixin
    CheckpointOption weights = new CheckpointOption();

    @Option(
            names = "--channels",
            paramLabel = "1|3",
            description = "From scratch: 1 for grey, 3 for colour (default: 3).")
    Integer channels;

    @Option(
            names = "--image-size",
            paramLabel = "PIXELS",
            description = "From scratch: the side of the images the network takes (default: 32).")
    Integer imageSize;

    @Option(
            names = "--resize",
            paramLabel = "PIXELS",
            description = "From scratch: resize each image's shorter side to PIXELS, then keep the central "
                    + "--image-size square, as train does (default: squash to --image-size).")
    Integer resize;

    @Option(
            names = "--dropout",
            defaultValue = "0",
            description = "Dropout after each conv, as train's (default: ${DEFAULT-VALUE}).")
    float dropout;

    @Option(
            names = "--freeze",
            defaultValue = "none",
            paramLabel = "PART",
            description = "none, features (only the classifier trains: a linear probe, fitted by Spark MLlib on "
                    + "features computed once) or blockN (the stem, dense blocks 1..N and their transitions stay "
                    + "fixed) (default: ${DEFAULT-VALUE}).")
    String freeze;

    @Option(
            names = "--backbone-lr-scale",
            paramLabel = "X",
            defaultValue = "1",
            description = "The learning rate of everything but the classifier, as a fraction of --lr "
                    + "(default: ${DEFAULT-VALUE}).")
    double backboneLrScale;

    @Option(names = "--epochs", defaultValue = "5", description = "Epochs of SGD (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--lr", defaultValue = "0.1", description = "Initial learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--momentum", defaultValue = "0.9", description = "Nesterov momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(
            names = "--schedule",
            defaultValue = "STEP",
            description = "${COMPLETION-CANDIDATES}: step divides by 10 at 50%% and 75%% (default: ${DEFAULT-VALUE}).")
    org.densenet4j.train.LearningRateSchedule schedule;

    @Option(
            names = "--augment",
            paramLabel = "crop,flip|crop|flip|none",
            defaultValue = "crop,flip",
            description = "Training augmentation, as train's (default: ${DEFAULT-VALUE}).")
    String augment;

    @Option(names = "--no-augment", description = "Turn off random crops and flips (the same as --augment none).")
    boolean noAugment;

    @Option(names = "--resume", description = "Continue from the run folder's checkpoint, with the same settings.")
    boolean resume;

    @Option(
            names = "--shards",
            description = "Partitions per SGD step, each computing the gradient of its share of the global batch "
                    + "(default: Spark's default parallelism, one per task slot).")
    Integer shards;

    @Option(
            names = "--weight-decay",
            defaultValue = "1e-4",
            description = "The L2 penalty, MLlib's regParam (default: ${DEFAULT-VALUE}, as train).")
    double weightDecay;

    @Option(
            names = "--max-iterations",
            defaultValue = "100",
            description = "L-BFGS iterations at most (default: ${DEFAULT-VALUE}).")
    int maxIterations;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--master", description = "Spark master when not run by spark-submit, e.g. local[2].")
    String master;

    @Option(
            names = "--batch-size",
            defaultValue = "64",
            description = "SGD: the global batch, images per step over all partitions (paper: 64); the probe: images "
                    + "per forward pass on an executor (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "libtorch threads per executor; use one per task slot (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(
            names = "--partitions",
            description = "Partitions of the image list (default: Spark's default parallelism).")
    Integer partitions;

    @Option(
            names = "--max-image-bytes",
            defaultValue = "67108864",
            paramLabel = "BYTES",
            description = "The largest image file read; a larger one is skipped (default: ${DEFAULT-VALUE}, 64 MiB).")
    long maxImageBytes;

    /** --precision: bf16 runs each partition's pass in bf16 mixed precision, as train's. */
    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** Asked before every SGD step; true stops the run cleanly, keeping the last checkpoint (tests, signals). */
    java.util.function.BooleanSupplier stopRequested = () -> false;

    public static void main(String[] args) {
        System.exit(commandLine(new SparkTrain()).execute(args));
    }

    /** The command line with densenet4j's handling of failures: one line, exit 1, or 2 for a bad value or input. */
    static CommandLine commandLine(SparkTrain job) {
        return SparkCommands.commandLine(job);
    }

    @Override
    public Integer call() throws Exception {
        try {
            if (Freeze.parse(freeze).features()) {
                LinearProbeJob.Result result = run();
                PrintWriter out = out();
                out.printf(
                        "linear probe fitted by Spark MLlib: %s%ncheckpoint: %s%nmetrics: %s%n",
                        result.metrics().summary(),
                        TerminalText.escape(result.checkpoint()),
                        TerminalText.escape(runDir.resolve("metrics.csv")));
                if (result.unreadable() > 0) {
                    out.printf("skipped %d unreadable image(s), named in the log%n", result.unreadable());
                }
                out.flush();
            } else {
                DataParallelJob.Result result = runDataParallel();
                PrintWriter out = out();
                out.printf(
                        "test set after %d epochs: top-1 %.2f%%, top-5 %.2f%%%ncheckpoint: %s%nmetrics: %s%n",
                        result.history().size(),
                        100 * result.finalEvaluation().top1(),
                        100 * result.finalEvaluation().top5(),
                        TerminalText.escape(result.checkpoint()),
                        TerminalText.escape(runDir.resolve("metrics.csv")));
                out.flush();
            }
            return 0;
        } catch (org.densenet4j.train.StopRequestedException e) {
            System.err.println("densenet4j spark-train: " + e.getMessage());
            return 130;
        } catch (Exception e) {
            throw SparkCommands.explained(e);
        }
    }

    private PrintWriter out() {
        return spec == null
                ? new PrintWriter(System.out, true)
                : spec.commandLine().getOut();
    }

    LinearProbeJob.Result run() throws IOException {
        if (!Freeze.parse(freeze).features()) {
            throw new IllegalArgumentException("the linear probe is --freeze features");
        }
        if (weights.given() == null) {
            throw new IllegalArgumentException("--freeze features trains a classifier on pretrained features: give "
                    + "the weights with --weights FILE, or --model NAME --weights imagenet");
        }
        requirePrecision();
        if (precision.precision() != Precision.FP32) {
            throw new IllegalArgumentException("--freeze features fits the classifier with MLlib on features computed "
                    + "once in fp32: --precision " + precision.precision() + " would change nothing; leave it out");
        }
        if (batchSize < 1 || threads < 1 || maxIterations < 1) {
            throw new IllegalArgumentException("--batch-size, --threads and --max-iterations must be at least 1");
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("--weight-decay must be >= 0, got " + weightDecay);
        }
        checkMaxImageBytes();
        if (partitions != null && partitions < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        }
        checkRunFolder(false);
        ModelRequest request = ModelRequest.of(weights, Precision.FP32);
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel pretrained = ModelFiles.open(
                    weights.resolve(), weights.options(), manager, w -> System.err.println("densenet4j: " + w));
            ModelSpec from = pretrained.spec();
            boolean table = tableInput();
            SparkSession spark = session();
            try {
                TrainingImages images = TrainingImages.load(
                        spark,
                        input,
                        table,
                        from.channels(),
                        from.height(),
                        from.resizeAndCrop(),
                        holdout,
                        seed,
                        maxImageBytes);
                SparkClassify.checkModelReachable(spark, request);
                clearWhenOverwriting();
                Files.createDirectories(runDir);
                LinearProbeJob.Settings settings = new LinearProbeJob.Settings(
                        weightDecay,
                        maxIterations,
                        1e-6,
                        batchSize,
                        threads,
                        partitions != null
                                ? partitions
                                : Math.max(1, spark.sparkContext().defaultParallelism()),
                        maxImageBytes,
                        seed);
                System.out.printf(
                        "linear probe of %s on %s: %d training and %d test images, %d classes%n",
                        TerminalText.escape(from.modelName()),
                        TerminalText.escape(images.name()),
                        images.trainCount(),
                        images.testCount(),
                        images.classNames().size());
                return LinearProbeJob.run(spark, images, request, pretrained, settings, runDir);
            } finally {
                if (master != null) {
                    spark.stop();
                }
            }
        }
    }

    /** Refuses int8 (inference only) and a precision this machine cannot train in, as train refuses them. */
    private void requirePrecision() {
        if (precision.precision() == Precision.INT8) {
            throw new IllegalArgumentException("int8 is for inference (predict, eval, bench): train in fp32 or bf16");
        }
        precision.precision().requireSupport();
    }

    private void checkMaxImageBytes() {
        if (maxImageBytes < 1 || maxImageBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(
                    "--max-image-bytes must be between 1 and " + (Integer.MAX_VALUE - 16) + ", got " + maxImageBytes);
        }
    }

    /** Whether --input is a Parquet table (by --input-format, or its name). */
    private boolean tableInput() {
        if (!inputFormat.equals("images") && !inputFormat.equals("parquet") && !inputFormat.equals("auto")) {
            throw new IllegalArgumentException("--input-format must be images, parquet or auto, got " + inputFormat);
        }
        return inputFormat.equals("parquet") || (inputFormat.equals("auto") && input.endsWith(".parquet"));
    }

    /** The Spark session: local mode with --master, otherwise the one spark-submit configured. */
    private SparkSession session() {
        SparkSession.Builder builder =
                ExecutorEnvironment.propagate(SparkSession.builder().appName("densenet4j spark-train"));
        if (master != null) {
            builder.master(master);
        }
        return builder.getOrCreate();
    }

    /**
     * Synchronous data-parallel SGD (every --freeze but features): from pretrained weights, or, with --model and no
     * --weights, from the preset's random initialisation drawn from --seed.
     */
    DataParallelJob.Result runDataParallel() throws IOException {
        Freeze part = Freeze.parse(freeze);
        requirePrecision();
        boolean scratch = weights.given() == null;
        Preset preset = weights.options().preset();
        if (scratch && preset == null) {
            throw new IllegalArgumentException("give the weights to fine-tune with --weights FILE, or --model NAME "
                    + "--weights imagenet; or train from scratch with --model NAME alone");
        }
        if (scratch && !part.isNone()) {
            throw new IllegalArgumentException(
                    "--freeze " + part.cliName() + " keeps pretrained layers fixed: give the "
                            + "weights with --weights (from scratch, everything trains)");
        }
        if (!scratch && (channels != null || imageSize != null || resize != null)) {
            throw new IllegalArgumentException("--channels, --image-size and --resize prepare images for a network "
                    + "trained from scratch: with --weights, images are prepared as the weights expect");
        }
        if (batchSize < 1 || threads < 1 || epochs < 1) {
            throw new IllegalArgumentException("--batch-size, --threads and --epochs must be at least 1");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("--dropout must be in [0, 1), got " + dropout);
        }
        checkMaxImageBytes();
        if (shards != null && shards < 1) {
            throw new IllegalArgumentException("--shards must be at least 1, got " + shards);
        }
        if (resume && overwrite) {
            throw new IllegalArgumentException("--resume continues a run and --overwrite replaces it: give one");
        }
        AugmentationKind augmentation = noAugment ? AugmentationKind.NONE : AugmentationKind.parse(augment);
        TrainingRecipe recipe = new TrainingRecipe(
                        epochs, batchSize, learningRate, momentum, weightDecay, schedule, true, seed)
                .augmentedWith(augmentation)
                .fineTuning(part, backboneLrScale)
                .inPrecision(precision.precision());
        checkRunFolder(resume);
        // Before anything is computed: a resumed run's normalisation is its checkpoint's, never fitted again.
        Checkpoint previous = resume ? DataParallelJob.resumed(runDir) : null;
        try (NDManager manager = NDManager.newBaseManager()) {
            PretrainedStart pretrained = scratch
                    ? null
                    : new PretrainedStart(
                            ModelFiles.open(
                                    weights.resolve(),
                                    weights.options(),
                                    manager,
                                    w -> System.err.println("densenet4j: " + w)),
                            false);
            ModelSpec from = scratch ? null : pretrained.weights().spec();
            if (!scratch) {
                part.checkFits(from.config());
            }
            int side = scratch ? (imageSize != null ? imageSize : 32) : from.height();
            int inputChannels = scratch ? (channels != null ? channels : 3) : from.channels();
            if (inputChannels != 1 && inputChannels != 3) {
                throw new IllegalArgumentException("--channels must be 1 or 3, got " + inputChannels);
            }
            ResizeAndCrop pipeline =
                    scratch ? (resize != null ? new ResizeAndCrop(resize, side) : null) : from.resizeAndCrop();
            if (previous != null) {
                checkSameInput(previous.spec(), inputChannels, side, pipeline);
            }
            boolean table = tableInput();
            SparkSession spark = session();
            try {
                TrainingImages images = TrainingImages.load(
                        spark, input, table, inputChannels, side, pipeline, holdout, seed, maxImageBytes);
                DatasetSplits splits = images.splits();
                List<String> classes = images.classNames();
                ModelSpec spec = scratch
                        ? new ModelSpec(
                                preset.name(),
                                preset.builder()
                                        .optInputChannels(inputChannels)
                                        .optClasses(classes.size())
                                        .optDropRate(dropout)
                                        .build(),
                                side,
                                side,
                                classes,
                                previous != null ? previous.spec().normalization() : Normalization.fit(splits.train()),
                                pipeline)
                        : from.forClasses(pretrained.configFor(classes.size(), dropout), classes);
                clearWhenOverwriting();
                Files.createDirectories(runDir);
                int partitions = shards != null
                        ? shards
                        : Math.max(1, spark.sparkContext().defaultParallelism());
                PrintWriter out = out();
                out.printf(
                        "%s %s on %s with Spark: %d training and %d test images, %d classes, global batch "
                                + "%d over %d partitions, %d epochs, freeze %s%n",
                        scratch ? "training" : "fine-tuning",
                        TerminalText.escape(spec.modelName()),
                        TerminalText.escape(splits.name()),
                        splits.train().size(),
                        splits.test().size(),
                        classes.size(),
                        batchSize,
                        partitions,
                        epochs,
                        part.cliName());
                out.flush();
                return new DataParallelJob(spark, recipe, partitions, threads, runDir, out)
                        .maxImageBytes(maxImageBytes)
                        .stopWhen(stopRequested)
                        .run(images, spec, pretrained, previous);
            } finally {
                if (master != null) {
                    spark.stop();
                }
            }
        }
    }

    /**
     * Applies the run-folder rule before Spark starts: a run the folder holds is refused unless resumed or replaced
     * (--overwrite), and so is a file where the folder should be.
     */
    /** A resumed run reads its images as its checkpoint's network takes them, or is refused before any is read. */
    private void checkSameInput(ModelSpec resumed, int inputChannels, int side, ResizeAndCrop pipeline) {
        if (resumed.channels() != inputChannels
                || resumed.height() != side
                || resumed.width() != side
                || !java.util.Objects.equals(resumed.resizeAndCrop(), pipeline)) {
            throw new IllegalArgumentException("cannot resume " + runDir + ": its checkpoint's network takes "
                    + describe(resumed.channels(), resumed.height(), resumed.resizeAndCrop()) + " images, this run "
                    + "reads " + describe(inputChannels, side, pipeline) + "; give the run's --channels, --image-size "
                    + "and --resize again");
        }
    }

    private static String describe(int channels, int side, ResizeAndCrop pipeline) {
        return channels + "x" + side + "x" + side + (pipeline == null ? "" : " (resized to " + pipeline.resize() + ")");
    }

    private void checkRunFolder(boolean resume) {
        new RunFolder(runDir).checkAvailable(resume || overwrite);
    }

    /**
     * With --overwrite, removes the earlier run once the new one has its images and weights, as train does: a run
     * refused for its input (a wrong path, a table without labels) leaves the earlier one as it was.
     */
    private void clearWhenOverwriting() throws IOException {
        if (overwrite && new RunFolder(runDir).clear()) {
            System.err.println(
                    "densenet4j: --overwrite: removed the earlier run's checkpoint and metrics from " + runDir);
        }
    }
}
