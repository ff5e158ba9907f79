package org.densenet4j.spark;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.densenet4j.data.AugmentationKind;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.Freeze;
import org.densenet4j.train.Checkpoint;
import org.densenet4j.train.CheckpointFile;
import org.densenet4j.train.EpochMetrics;
import org.densenet4j.train.LearningRateSchedule;
import org.densenet4j.train.MetricsReport;
import org.densenet4j.train.PretrainedStart;
import org.densenet4j.train.RunFolder;
import org.densenet4j.train.TrainingRecipe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The linear probe on Spark ({@code spark-train --freeze features}): executors compute every image's pooled features
 * once, with the forward pass {@code spark-classify --features} runs; Spark MLlib fits a multinomial logistic
 * regression on the training images' features, on the cluster, with the weight decay as its L2 penalty; its
 * coefficients and intercepts become the classifier of the pretrained network, written as an ordinary checkpoint
 * with its metrics in the run folder that {@code train} writes.
 */
final class LinearProbeJob {

    private static final Logger LOG = LoggerFactory.getLogger(LinearProbeJob.class);
    /** Unreadable images named in the log; the rest are counted. */
    private static final int NAMED_FAILURES = 20;

    /**
     * What the probe is fitted with.
     *
     * @param weightDecay the L2 penalty: MLlib's regParam, as SGD's weight decay w is the gradient of w/2 |W|^2
     * @param maxIterations L-BFGS iterations at most
     * @param tolerance L-BFGS's convergence tolerance
     * @param batchSize images per forward pass on the executors
     * @param threads libtorch threads per executor
     * @param partitions partitions of the image list
     * @param maxImageBytes the largest image file read
     * @param seed the seed of the run (the holdout split; recorded in the checkpoint)
     */
    record Settings(
            double weightDecay,
            int maxIterations,
            double tolerance,
            int batchSize,
            int threads,
            int partitions,
            long maxImageBytes,
            long seed) {}

    /**
     * What the probe produced.
     *
     * @param model MLlib's fitted model
     * @param checkpoint the checkpoint written
     * @param metrics the run's one entry of metrics
     * @param unreadable images skipped because they could not be read
     */
    record Result(LogisticRegressionModel model, Path checkpoint, EpochMetrics metrics, long unreadable) {}

    private LinearProbeJob() {}

    /**
     * Fits the probe of {@code pretrained} (which executors open as {@code request}) on {@code images} and writes the
     * run folder.
     */
    static Result run(
            SparkSession spark,
            TrainingImages images,
            ModelRequest request,
            TrainedModel pretrained,
            Settings settings,
            Path runDir)
            throws IOException {
        long start = System.nanoTime();
        Dataset<Row> features = spark.createDataFrame(
                        images.labelled(spark, settings.partitions())
                                .mapPartitions(new FeaturePartition(
                                        request, settings.batchSize(), settings.threads(), settings.maxImageBytes())),
                        FeaturePartition.SCHEMA)
                .persist(StorageLevel.MEMORY_AND_DISK()); // one forward pass, whatever reads them
        try {
            long unreadable = reportUnreadable(features);
            int classes = images.classNames().size();
            // The label's metadata gives MLlib the class count, even if the last class has no readable image.
            org.apache.spark.sql.types.Metadata labels = NominalAttribute.defaultAttr()
                    .withName("label")
                    .withNumValues(classes)
                    .toMetadata();
            Dataset<Row> readable = features.filter(functions.col("error").isNull())
                    .select(
                            functions.col("label").cast("double").as("label", labels),
                            org.apache
                                    .spark
                                    .ml
                                    .functions
                                    .array_to_vector(functions.col("features").cast("array<double>"))
                                    .as("features"),
                            functions.col("test"));
            Dataset<Row> train = readable.filter(functions.not(functions.col("test")));
            Dataset<Row> test = readable.filter(functions.col("test"));
            LogisticRegressionModel model = new LogisticRegression()
                    .setFamily("multinomial")
                    .setRegParam(settings.weightDecay())
                    .setElasticNetParam(0)
                    .setStandardization(false)
                    .setFitIntercept(true)
                    .setMaxIter(settings.maxIterations())
                    .setTol(settings.tolerance())
                    .fit(train);
            Scores trained = Scores.of(model, train);
            Scores tested = Scores.of(model, test);
            double seconds = (System.nanoTime() - start) / 1e9;
            EpochMetrics metrics = new EpochMetrics(
                    1,
                    Double.NaN, // L-BFGS has no learning rate
                    trained.loss(),
                    trained.top1(),
                    tested.loss(),
                    tested.top1(),
                    tested.top5(),
                    seconds,
                    (trained.count() + tested.count()) / seconds,
                    (int) Math.min(Integer.MAX_VALUE, unreadable));
            Path checkpoint = write(images, pretrained, model, settings, metrics, runDir);
            return new Result(model, checkpoint, metrics, unreadable);
        } finally {
            features.unpersist();
        }
    }

    /** Counts the images no executor could read, and names the first few in the log. */
    private static long reportUnreadable(Dataset<Row> features) {
        Dataset<Row> failed = features.filter(functions.col("error").isNotNull());
        long count = failed.count();
        if (count > 0) {
            for (Row r : failed.select("error").takeAsList(NAMED_FAILURES)) {
                LOG.warn("skipped: {}", r.getString(0));
            }
            LOG.warn(
                    "skipped {} unreadable image(s){}",
                    count,
                    count > NAMED_FAILURES ? " (the first " + NAMED_FAILURES + " named above)" : "");
        }
        return count;
    }

    /** The pretrained network with MLlib's classifier, as a checkpoint, and the run's metrics, in {@code runDir}. */
    private static Path write(
            TrainingImages images,
            TrainedModel pretrained,
            LogisticRegressionModel model,
            Settings settings,
            EpochMetrics metrics,
            Path runDir)
            throws IOException {
        List<String> classNames = images.classNames();
        PretrainedStart start = new PretrainedStart(pretrained, false);
        DenseNetConfig config = start.configFor(classNames.size(), 0);
        ModelSpec spec = pretrained.spec().forClasses(config, classNames);
        // What the run was: one fit of the classifier on frozen features. L-BFGS has no learning rate, momentum or
        // batches; the recipe records the weight decay and seed, and the usual values for the rest.
        TrainingRecipe recipe = new TrainingRecipe(
                        1,
                        settings.batchSize(),
                        0.1,
                        0.9,
                        settings.weightDecay(),
                        LearningRateSchedule.STEP,
                        false,
                        settings.seed())
                .fineTuning(Freeze.FEATURES, 1)
                .augmentedWith(AugmentationKind.NONE);
        Path checkpoint = runDir.resolve(RunFolder.CHECKPOINT);
        DenseNet network = new DenseNet(config);
        try (Model holder = Model.newInstance(spec.modelName())) {
            holder.setBlock(network);
            network.initialize(holder.getNDManager(), DataType.FLOAT32, spec.batchShape(1));
            start.copyInto(network, classNames);
            setClassifier(network, model);
            CheckpointFile.write(
                    checkpoint, new Checkpoint(spec, 1, images.name(), recipe, List.of(metrics)), network, null);
        }
        MetricsReport.write(runDir, List.of(metrics));
        return checkpoint;
    }

    /** Copies MLlib's coefficients (classes x features) and intercepts into the network's classifier. */
    static void setClassifier(DenseNet network, LogisticRegressionModel model) {
        Matrix coefficients = model.coefficientMatrix();
        int classes = coefficients.numRows();
        int dimension = coefficients.numCols();
        float[] weight = new float[classes * dimension];
        for (int c = 0; c < classes; c++) {
            for (int f = 0; f < dimension; f++) {
                weight[c * dimension + f] = (float) coefficients.apply(c, f);
            }
        }
        double[] intercepts = model.interceptVector().toArray();
        float[] bias = new float[classes];
        for (int c = 0; c < classes; c++) {
            bias[c] = (float) intercepts[c];
        }
        Parameter w = network.head().classifier().getParameters().get("weight");
        Parameter b = network.head().classifier().getParameters().get("bias");
        if (w.getArray().size() != weight.length || b.getArray().size() != bias.length) {
            throw new IllegalStateException("MLlib fitted " + classes + " x " + dimension + " coefficients for a "
                    + "classifier of shape " + w.getArray().getShape());
        }
        w.getArray().set(weight);
        b.getArray().set(bias);
    }

    /**
     * The mean cross-entropy, top-1 and top-5 accuracy of a fitted model on labelled features.
     *
     * @param count the images scored
     */
    record Scores(double loss, double top1, double top5, long count) {

        static Scores of(LogisticRegressionModel model, Dataset<Row> labelled) {
            Dataset<Row> scored = model.transform(labelled).select("label", "probability");
            double[] sums = scored.javaRDD()
                    .map(r -> {
                        int label = (int) r.getDouble(0);
                        double[] p = ((Vector) r.get(1)).toArray();
                        int above = 0; // classes more probable than the true one
                        for (double q : p) {
                            if (q > p[label]) {
                                above++;
                            }
                        }
                        return new double[] {
                            -Math.log(Math.max(p[label], Double.MIN_NORMAL)), above == 0 ? 1 : 0, above < 5 ? 1 : 0, 1
                        };
                    })
                    .fold(new double[4], (a, b) -> {
                        double[] s = new double[4];
                        for (int i = 0; i < 4; i++) {
                            s[i] = a[i] + b[i];
                        }
                        return s;
                    });
            long n = (long) sums[3];
            return n == 0 ? new Scores(Double.NaN, 0, 0, 0) : new Scores(sums[0] / n, sums[1] / n, sums[2] / n, n);
        }
    }
}
