package org.densenet4j.spark;

import java.io.IOException;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.densenet4j.cli.CheckpointOption;
import org.densenet4j.cli.PrecisionOption;
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

    /** --precision: bf16 compiles the model for libtorch in bfloat16 on each executor. */
    @Mixin
    PrecisionOption precision = new PrecisionOption();

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

    @Option(names = "--partitions", description = "Repartition the input into this many partitions.")
    Integer partitions;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SparkClassify()).execute(args));
    }

    /** What a run did. */
    record Summary(long images, long errors, double jobSeconds, double executorRunSeconds) {}

    @Override
    public Integer call() throws IOException {
        Summary s = run();
        System.out.printf("classified %d images (%d errors) into %s%n", s.images(), s.errors(), output);
        System.out.printf(
                "Spark job time %.1f s (%.1f images/s); executor run time %.1f s (%.1f images/s per " + "task slot)%n",
                s.jobSeconds(),
                s.images() / Math.max(s.jobSeconds(), 1e-9),
                s.executorRunSeconds(),
                s.images() / Math.max(s.executorRunSeconds(), 1e-9));
        return s.errors() == s.images() && s.images() > 0 ? 1 : 0;
    }

    Summary run() throws IOException {
        if (batchSize < 1 || threads < 1 || topK < 1) {
            throw new IllegalArgumentException("--batch-size, --threads and --topk must be at least 1");
        }
        if (features
                && (precision.precision() != org.densenet4j.infer.Precision.FP32
                        || (model.given() != null && org.densenet4j.io.ScriptedModel.isArchive(model.given())))) {
            throw new IllegalArgumentException("--features needs a densenet4j checkpoint or .pth computed in fp32: a "
                    + "TorchScript archive or bf16 runs without the DenseNet's stages");
        }
        ModelRequest request = ModelRequest.of(model, precision.precision());
        SparkSession.Builder builder = SparkSession.builder().appName("densenet4j spark-classify");
        if (master != null) {
            builder.master(master);
        }
        SparkSession spark = builder.getOrCreate();
        JobMetrics metrics = new JobMetrics();
        spark.sparkContext().addSparkListener(metrics);
        try {
            Dataset<Row> rows = read(spark);
            if (partitions != null) {
                rows = rows.repartition(partitions);
            }
            Dataset<Row> result = rows.mapPartitions(
                    new ClassifyPartition(
                            request, batchSize, threads, topK, features),
                    Encoders.row(features ? ImageRows.WITH_FEATURES : ImageRows.SCHEMA));
            result.write().mode("errorifexists").parquet(output);
            Dataset<Row> written = spark.read().parquet(output);
            long images = written.count();
            long errors = written.filter(functions.col("error").isNotNull()).count();
            return new Summary(images, errors, metrics.jobSeconds(), metrics.executorRunSeconds());
        } finally {
            if (master != null) {
                spark.stop();
            }
        }
    }

    private Dataset<Row> read(SparkSession spark) {
        boolean parquet = inputFormat.equals("parquet") || (inputFormat.equals("auto") && input.endsWith(".parquet"));
        if (!parquet && !inputFormat.equals("images") && !inputFormat.equals("auto")) {
            throw new IllegalArgumentException("--input-format must be images, parquet or auto, got " + inputFormat);
        }
        if (parquet) {
            Dataset<Row> table = spark.read().parquet(input);
            if (!java.util.Arrays.asList(table.columns()).contains("path")) {
                throw new IllegalArgumentException(input + ": the Parquet input needs a 'path' column, has "
                        + java.util.Arrays.toString(table.columns()));
            }
            return table;
        }
        // Every file becomes a row: a non-image file becomes an error row rather than vanishing.
        return spark.read()
                .format("binaryFile")
                .option("recursiveFileLookup", "true")
                .load(input)
                .select("path", "content");
    }
}
