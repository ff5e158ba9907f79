package org.densenet4j.spark;

import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.densenet4j.cli.CalibrationOption;
import org.densenet4j.cli.CheckpointOption;
import org.densenet4j.cli.PrecisionOption;
import org.densenet4j.io.Int8CalibrationFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code densenet4j spark-classify}: classifies a directory tree of images, or a Parquet table of
 * paths (and optionally bytes), on Spark, and writes a Parquet table of path, top-k labels,
 * probabilities and error. Runs in local mode from the launcher, or on a cluster via spark-submit.
 */
@Command(
        name = "spark-classify",
        mixinStandardHelpOptions = true,
        description = "Classify an image collection on Apache Spark; bad images become rows with an error.")
public final class SparkClassify implements Callable<Integer> {

    @Option(
            names = "--input",
            required = true,
            paramLabel = "PATH",
            description = "A directory tree of images, or a Parquet table with a 'path' column and optionally a "
                    + "binary 'content' column.")
    String input;

    @Option(
            names = "--input-format",
            defaultValue = "auto",
            description = "images, parquet, or auto: parquet when PATH ends in .parquet (default: ${DEFAULT-VALUE}).")
    String inputFormat;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "PATH",
            description = "Where to write the Parquet result.")
    String output;

    /** The model: --checkpoint/--weights FILE (on a cluster, ship it with --files and give its file name). */
    @Mixin
    CheckpointOption model = new CheckpointOption();

    /**
     * --precision: bf16 compiles the model for libtorch in bfloat16 on each executor; int8 compiles densenet4j's int8
     * module there, with the calibration the driver resolves.
     */
    @Mixin
    PrecisionOption precision = new PrecisionOption();

    /** --calibrate, for int8: resolved on the driver (stored beside the model, or measured there) and shipped. */
    @Mixin
    CalibrationOption calibration = new CalibrationOption();

    @Option(names = "--master", description = "Spark master when not run by spark-submit, e.g. local[2].")
    String master;

    @Option(
            names = "--batch-size",
            defaultValue = "32",
            description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "libtorch threads per executor; use one per task slot (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--topk", defaultValue = "3", description = "Labels per image (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(
            names = "--features",
            description = "Add a 'features' column: the pooled features the classifier saw (1024 for densenet121), "
                    + "from the same forward pass; needs a checkpoint or .pth in fp32.")
    boolean features;

    @Option(
            names = "--partitions",
            description = "Repartition the input into this many partitions (default: one per Parquet row group; "
                    + "Spark's own split for a directory).")
    Integer partitions;

    @Option(
            names = "--max-image-bytes",
            defaultValue = "67108864",
            paramLabel = "BYTES",
            description = "The largest image read, a file or a Parquet cell; a larger one is an error row, checked "
                    + "before it is read (default: ${DEFAULT-VALUE}, 64 MiB).")
    long maxImageBytes;

    public static void main(String[] args) {
        System.exit(commandLine(new SparkClassify()).execute(args));
    }

    /** The command line with densenet4j's handling of failures: one line, exit 1, or 2 for a bad value or input. */
    static CommandLine commandLine(SparkClassify job) {
        return SparkCommands.commandLine(job);
    }

    /** What a run did. */
    record Summary(long images, long errors, double jobSeconds, double executorRunSeconds) {}

    @Override
    public Integer call() throws Exception {
        Summary s;
        try {
            s = run();
        } catch (Exception e) {
            throw SparkCommands.explained(e);
        }
        System.out.printf("classified %d images (%d errors) into %s%n", s.images(), s.errors(), output);
        System.out.printf(
                "Spark job time %.1f s (%.1f images/s); executor run time %.1f s (%.1f images/s per " + "task slot)%n",
                s.jobSeconds(),
                s.images() / Math.max(s.jobSeconds(), 1e-9),
                s.executorRunSeconds(),
                s.images() / Math.max(s.executorRunSeconds(), 1e-9));
        return s.errors() == s.images() && s.images() > 0 ? 1 : 0;
    }

    Summary run() throws java.io.IOException {
        if (batchSize < 1 || threads < 1 || topK < 1) {
            throw new IllegalArgumentException("--batch-size, --threads and --topk must be at least 1");
        }
        if (maxImageBytes < 1 || maxImageBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(
                    "--max-image-bytes must be between 1 and " + (Integer.MAX_VALUE - 16) + ", got " + maxImageBytes);
        }
        if (partitions != null && partitions < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        }
        calibration.checkUsedWith(precision.precision());
        if (features
                && (precision.precision() != org.densenet4j.infer.Precision.FP32
                        || (model.given() != null
                                && org.densenet4j.script.TorchScriptArchive.isArchive(model.given())))) {
            throw new IllegalArgumentException("--features needs a densenet4j checkpoint or .pth computed in fp32: a "
                    + "TorchScript archive or bf16 runs without the DenseNet's stages");
        }
        ModelRequest request = ModelRequest.of(model, precision.precision(), driverCalibration());
        SparkSession.Builder builder =
                ExecutorEnvironment.propagate(SparkSession.builder().appName("densenet4j spark-classify"));
        if (master != null) {
            builder.master(master);
        }
        SparkSession spark = builder.getOrCreate();
        JobMetrics metrics = new JobMetrics();
        try {
            checkModelReachable(spark, request);
            spark.sparkContext().addSparkListener(metrics); // the job's own times, without the probe's
            boolean parquet = parquetInput();
            Dataset<Row> rows = parquet ? slices(spark) : files(spark);
            Dataset<Row> result = rows.mapPartitions(
                    new ClassifyPartition(request, batchSize, threads, topK, features, parquet, maxImageBytes),
                    Encoders.row(features ? ImageRows.WITH_FEATURES : ImageRows.SCHEMA));
            result.write().mode("errorifexists").parquet(output);
            Dataset<Row> written = spark.read().parquet(output);
            long images = written.count();
            long errors = written.filter(functions.col("error").isNotNull()).count();
            return new Summary(images, errors, metrics.jobSeconds(), metrics.executorRunSeconds());
        } finally {
            spark.sparkContext().removeSparkListener(metrics);
            if (master != null) {
                spark.stop();
            }
        }
    }

    /**
     * For int8, the calibration the executors compile with, resolved on the driver (which must reach the model file):
     * the stored one, or measured here and stored beside the model; null for an int8 archive and other precisions.
     */
    private String driverCalibration() throws java.io.IOException {
        if (precision.precision() != org.densenet4j.infer.Precision.INT8) {
            return null;
        }
        Int8CalibrationFile.Stored stored =
                calibration.resolve(model, null, true, new java.io.PrintWriter(System.err, true));
        return stored == null ? null : stored.toJson();
    }

    /**
     * Fails before the job, in one line, when an executor cannot find the model file: a short job asks one task per
     * task slot. A task that failed to open the model would fail, and be retried, with the same message in every
     * task, each with its stack trace; these tasks answer instead of failing.
     */
    static void checkModelReachable(SparkSession spark, ModelRequest request) throws java.io.IOException {
        if (request.file() == null) {
            return; // the bundled model is in every executor's jar; pretrained weights are fetched by each executor
        }
        String file = request.file();
        int slots = Math.max(1, spark.sparkContext().defaultParallelism());
        java.util.List<Integer> probes =
                java.util.stream.IntStream.range(0, slots).boxed().toList();
        java.util.List<String> problems = new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext())
                .parallelize(probes, slots)
                .map(probe -> ExecutorModel.missing(file))
                .filter(problem -> !problem.isEmpty())
                .distinct()
                .collect();
        if (!problems.isEmpty()) {
            throw new java.io.IOException(problems.get(0));
        }
    }

    private boolean parquetInput() {
        if (!inputFormat.equals("images") && !inputFormat.equals("parquet") && !inputFormat.equals("auto")) {
            throw new IllegalArgumentException("--input-format must be images, parquet or auto, got " + inputFormat);
        }
        return inputFormat.equals("parquet") || (inputFormat.equals("auto") && input.endsWith(".parquet"));
    }

    /** A Parquet table: its row groups, planned and checked on the driver (see {@link ParquetImageTable}). */
    private Dataset<Row> slices(SparkSession spark) throws java.io.IOException {
        java.util.List<ParquetImageTable.Slice> planned =
                ParquetImageTable.plan(input, spark.sparkContext().hadoopConfiguration());
        java.util.List<Row> rows = planned.stream().map(ImageRows::row).toList();
        return spark.createDataFrame(rows, ImageRows.SLICES)
                .repartition(partitions != null ? partitions : Math.max(1, rows.size()));
    }

    /**
     * A directory tree: every file becomes a row, so that a non-image file becomes an error row rather than
     * vanishing. Only paths are listed: executors check each file's length before reading it.
     */
    private Dataset<Row> files(SparkSession spark) {
        Dataset<Row> files = spark.read()
                .format("binaryFile")
                .option("recursiveFileLookup", "true")
                .load(input)
                .select("path");
        return partitions == null ? files : files.repartition(partitions);
    }
}
