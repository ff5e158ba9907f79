package org.densenet4j.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.densenet4j.base.TerminalText;
import org.densenet4j.cli.CheckpointOption;
import org.densenet4j.cli.FailureHandler;
import org.densenet4j.data.ImageFolderDataset;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.Freeze;
import org.densenet4j.train.DenseNetTrainer;
import org.densenet4j.train.RunExistsException;
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
            paramLabel = "DIR",
            description = "A folder with one sub-folder per class (train/ and test/, or split by --holdout), on a "
                    + "filesystem every executor sees.")
    String input;

    @Option(
            names = "--holdout",
            defaultValue = "0.1",
            description = "Without train/ and test/: the fraction held out for testing, chosen by --seed as train "
                    + "chooses it (default: ${DEFAULT-VALUE}).")
    double holdout;

    @Option(names = "--run-dir", required = true, paramLabel = "DIR", description = "Where the run folder goes.")
    Path runDir;

    @Option(names = "--overwrite", description = "Replace the run a --run-dir already holds.")
    boolean overwrite;

    /** The weights to start from: --weights FILE (a shared path, or shipped with --files) or NAME with --model. */
    @Mixin
    CheckpointOption weights = new CheckpointOption();

    @Option(
            names = "--freeze",
            required = true,
            paramLabel = "PART",
            description = "features: only the classifier trains, fitted by Spark MLlib on features computed once "
                    + "(a linear probe).")
    String freeze;

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
            defaultValue = "32",
            description = "Images per forward pass on the executors (default: ${DEFAULT-VALUE}).")
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

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine(new SparkTrain()).execute(args));
    }

    /** The command line with densenet4j's handling of failures: one line, exit 1, or 2 for a bad value or input. */
    static CommandLine commandLine(SparkTrain job) {
        CommandLine cl = new CommandLine(job);
        cl.setExecutionExceptionHandler(new FailureHandler());
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        LinearProbeJob.Result result;
        try {
            result = run();
        } catch (Exception e) { // Scala's exceptions are not declared: Spark's arrive here undeclared
            if (e instanceof org.apache.spark.SparkException) {
                throw new IOException("the Spark job failed: " + ParquetImageTable.oneLine(rootCause(e)), e);
            }
            throw e;
        }
        PrintWriter out = spec == null
                ? new PrintWriter(System.out, true)
                : spec.commandLine().getOut();
        out.printf(
                "linear probe fitted by Spark MLlib: %s%ncheckpoint: %s%nmetrics: %s%n",
                result.metrics().summary(),
                TerminalText.escape(result.checkpoint()),
                TerminalText.escape(runDir.resolve("metrics.csv")));
        if (result.unreadable() > 0) {
            out.printf("skipped %d unreadable image(s), named in the log%n", result.unreadable());
        }
        out.flush();
        return 0;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    LinearProbeJob.Result run() throws IOException {
        Freeze part = Freeze.parse(freeze);
        if (!part.features()) {
            throw new IllegalArgumentException("spark-train runs the linear probe (--freeze features) so far; use "
                    + "train for --freeze " + part.cliName());
        }
        if (weights.given() == null) {
            throw new IllegalArgumentException("--freeze features trains a classifier on pretrained features: give "
                    + "the weights with --weights FILE, or --model NAME --weights imagenet");
        }
        if (batchSize < 1 || threads < 1 || maxIterations < 1) {
            throw new IllegalArgumentException("--batch-size, --threads and --max-iterations must be at least 1");
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("--weight-decay must be >= 0, got " + weightDecay);
        }
        if (maxImageBytes < 1 || maxImageBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(
                    "--max-image-bytes must be between 1 and " + (Integer.MAX_VALUE - 16) + ", got " + maxImageBytes);
        }
        if (partitions != null && partitions < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        }
        Path checkpoint = runDir.resolve(DenseNetTrainer.CHECKPOINT);
        if (Files.exists(runDir) && !Files.isDirectory(runDir)) {
            throw new IllegalArgumentException(runDir + " is a file, not a run folder: choose a folder for the run");
        }
        if (Files.exists(checkpoint) && !overwrite) {
            throw new RunExistsException(runDir, "a checkpoint");
        }
        ModelRequest request = ModelRequest.of(weights, Precision.FP32);
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel pretrained = ModelFiles.open(
                    weights.resolve(), weights.options(), manager, w -> System.err.println("densenet4j: " + w));
            ModelSpec from = pretrained.spec();
            TrainingImages images = new TrainingImages(ImageFolderDataset.splits(
                    Path.of(input), from.channels(), from.height(), from.resizeAndCrop(), holdout, seed));
            Files.createDirectories(runDir);
            SparkSession.Builder builder =
                    ExecutorEnvironment.propagate(SparkSession.builder().appName("densenet4j spark-train"));
            if (master != null) {
                builder.master(master);
            }
            SparkSession spark = builder.getOrCreate();
            try {
                SparkClassify.checkModelReachable(spark, request);
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
}
