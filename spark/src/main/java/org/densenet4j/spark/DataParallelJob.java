package org.densenet4j.spark;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.densenet4j.base.TerminalText;
import org.densenet4j.data.BatchLoader;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.infer.EvaluationReport;
import org.densenet4j.infer.Evaluator;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.model.DenseNet;
import org.densenet4j.train.Checkpoint;
import org.densenet4j.train.CheckpointFile;
import org.densenet4j.train.DivergedException;
import org.densenet4j.train.EpochMetrics;
import org.densenet4j.train.EpochTally;
import org.densenet4j.train.MetricsReport;
import org.densenet4j.train.NesterovSgd;
import org.densenet4j.train.PretrainedStart;
import org.densenet4j.train.RunFolder;
import org.densenet4j.train.StopRequestedException;
import org.densenet4j.train.TrainingRecipe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synchronous data-parallel SGD on Spark: each step the driver broadcasts the weights, every partition computes the
 * gradient of its share of the global batch ({@link ExecutorTrainer}), the driver sums gradients and BN running
 * statistics in partition order (so that the sum is the same every run), and the driver applies the same {@link NesterovSgd} step as {@code train}. BN statistics are
 * per partition, as PyTorch's DDP without SyncBN; the driver keeps their image-weighted mean. The order of images
 * and their augmentation derive from the seed and epoch as in {@code train}, so one seed gives one checkpoint and a
 * retried task changes nothing. A checkpoint is written after every epoch; a run resumed from it continues exactly.
 */
final class DataParallelJob {

    private static final Logger LOG = LoggerFactory.getLogger(DataParallelJob.class);

    private long maxImageBytes = 64L << 20;
    private final SparkSession spark;
    private final TrainingRecipe recipe;
    private final int shards;
    private final int threads;
    private final Path runDir;
    private final PrintWriter out;
    private BooleanSupplier stopRequested = () -> false;

    /**
     * @param shards partitions per step, each computing the gradient of its share of the global batch
     * @param threads libtorch threads per task
     * @param out where progress goes (step, images/s, loss, ETA)
     */
    DataParallelJob(SparkSession spark, TrainingRecipe recipe, int shards, int threads, Path runDir, PrintWriter out) {
        this.spark = spark;
        this.recipe = recipe;
        this.shards = shards;
        this.threads = threads;
        this.runDir = runDir;
        this.out = out;
    }

    /** Images over this many bytes are skipped, named and counted, as spark-classify's are (default 64 MiB). */
    DataParallelJob maxImageBytes(long bytes) {
        this.maxImageBytes = bytes;
        return this;
    }

    /** Stops cleanly before the next step once {@code stopRequested} turns true; the last checkpoint stays. */
    DataParallelJob stopWhen(BooleanSupplier stopRequested) {
        this.stopRequested = stopRequested;
        return this;
    }

    /** What the run did. */
    record Result(Path checkpoint, List<EpochMetrics> history, EvaluationReport finalEvaluation) {}

    /**
     * Trains the network {@code spec} describes on {@code images}: fine-tunes {@code pretrained}, or, without it,
     * starts from the preset's random initialisation drawn from the seed, as {@code train} does.
     *
     * @param pretrained the weights to start from, or null to train from scratch
     * @param previous the description of the run folder's checkpoint to continue from ({@link #resumed}), or null
     */
    Result run(TrainingImages images, ModelSpec spec, PretrainedStart pretrained, Checkpoint previous)
            throws IOException {
        DatasetSplits data = images.splits();
        Path checkpoint = runDir.resolve(RunFolder.CHECKPOINT);
        requireShardBatchFits(spec);
        if (previous != null) {
            previous.checkContinuedBy(checkpoint, spec.config(), spec.classNames(), data.name(), recipe);
            spec = previous.spec(); // what the run was trained with (its normalisation was fitted once)
        }
        List<EpochMetrics> history = new ArrayList<>(previous != null ? previous.history() : List.of());
        ExecutorTrainer.Setup setup = new ExecutorTrainer.Setup(
                spec,
                recipe.freeze().cliName(),
                recipe.precision() == org.densenet4j.infer.Precision.BF16,
                recipe.augmentation(),
                recipe.seed(),
                threads,
                maxImageBytes);
        // The initial weights drawn from the seed, as train draws them: the network's, or a new classifier's.
        Engine.getInstance().setRandomSeed((int) recipe.seed());
        NesterovSgd optimizer = recipe.optimizer();
        DenseNet network = new DenseNet(spec.config());
        try (Model model = Model.newInstance(spec.modelName())) {
            model.setBlock(network);
            network.initialize(model.getNDManager(), DataType.FLOAT32, spec.batchShape(1));
            if (previous != null) {
                CheckpointFile.loadInto(checkpoint, network, model.getNDManager());
            } else if (pretrained != null) {
                out.println(pretrained.copyInto(network, spec.classNames()).describe());
            } else {
                out.printf("from scratch: %s initialised from seed %d%n", spec.modelName(), recipe.seed());
            }
            network.freeze(recipe.freeze());
            ParameterLayout layout = new ParameterLayout(network);
            scaleBackboneRate(network, layout, optimizer);
            out.printf(
                    Locale.ROOT,
                    "per step: %.2f MB of weights broadcast to the executors, %.2f MB of gradients and BN statistics "
                            + "from each partition%n",
                    4e-6 * ParameterLayout.count(layout.all()),
                    4e-6 * (ParameterLayout.count(layout.trainable()) + ParameterLayout.count(layout.statistics())));
            if (previous != null) {
                CheckpointFile.restoreMomentum(checkpoint, network, optimizer, model.getNDManager());
                out.printf("resuming %s after epoch %d%n", checkpoint, previous.epochsCompleted());
            }
            EvaluationReport report = null;
            for (int epoch = history.size(); epoch < recipe.epochs(); epoch++) {
                EpochMetrics m = epoch(epoch, data.train(), setup, layout, optimizer, model.getNDManager());
                report = Evaluator.evaluate(network, spec, data.test(), recipe.batchSize(), model.getNDManager());
                m = m.withTest(report);
                history.add(m);
                out.printf("epoch %d/%d: %s%n", epoch + 1, recipe.epochs(), m.summary());
                out.flush();
                CheckpointFile.write(
                        checkpoint, new Checkpoint(spec, epoch + 1, data.name(), recipe, history), network, optimizer);
                MetricsReport.write(runDir, history);
            }
            if (report == null) {
                report = Evaluator.evaluate(network, spec, data.test(), recipe.batchSize(), model.getNDManager());
            }
            return new Result(checkpoint, List.copyOf(history), report);
        }
    }

    /**
     * The description of the checkpoint in {@code runDir}, to resume: read before the run builds anything, since it
     * holds what a new run would compute (the normalisation fitted once).
     *
     * @throws IOException when the folder holds no checkpoint, or it cannot be read
     */
    static Checkpoint resumed(Path runDir) throws IOException {
        Path checkpoint = runDir.resolve(RunFolder.CHECKPOINT);
        if (!Files.exists(checkpoint)) {
            throw new IOException(checkpoint + ": no checkpoint to resume from");
        }
        return CheckpointFile.readDescription(checkpoint);
    }

    /** One epoch of synchronous steps over the training split, in train's order for the seed and epoch. */
    private EpochMetrics epoch(
            int epoch,
            ImageDataset train,
            ExecutorTrainer.Setup setup,
            ParameterLayout layout,
            NesterovSgd optimizer,
            NDManager manager) {
        double lr = recipe.learningRate(epoch);
        optimizer.setLearningRate((float) lr);
        int[] order = BatchLoader.trainingOrder(train.size(), recipe.seed(), epoch);
        int batch = recipe.batchSize();
        int steps = (order.length + batch - 1) / batch;
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        EpochTally tally = new EpochTally();
        long skipped = 0;
        requireDriverMemory(layout);
        for (int step = 0; step < steps; step++) {
            if (stopRequested.getAsBoolean()) {
                throw new StopRequestedException("training stopped on request at epoch " + (epoch + 1) + ", step "
                        + (step + 1) + (epoch > 0 ? "; continue from the checkpoint with --resume" : ""));
            }
            List<TrainingShard> shardList =
                    shards(train, order, step * batch, Math.min(order.length, (step + 1) * batch), shards);
            Broadcast<float[]> weights = jsc.broadcast(ParameterLayout.flatten(layout.all()));
            ShardGradient sum;
            try {
                int e = epoch;
                int s = step;
                // Summed on the driver in partition order: float addition is not associative, and
                // treeAggregate adds in the order tasks finish, so a seed would not give one checkpoint.
                List<ShardGradient> parts = jsc.parallelize(shardList, shardList.size())
                        .map(shard -> ExecutorTrainer.gradient(setup, weights.value(), shard, e, s))
                        .collect();
                sum = ShardGradient.zero();
                for (ShardGradient part : parts) {
                    sum = sum.plus(part);
                }
            } finally {
                weights.destroy();
            }
            for (String name : sum.unreadableNames()) {
                LOG.warn("skipped unreadable image {}", TerminalText.escape(name)); // a table's paths may hold controls
            }
            skipped += sum.unreadable();
            if (sum.images() == 0) {
                continue;
            }
            double loss = sum.lossSum() / sum.images();
            if (!Double.isFinite(loss)) {
                throw new DivergedException("loss became " + loss + " at epoch " + (epoch + 1) + ", step " + (step + 1)
                        + " (learning rate " + lr + "); training stopped. "
                        + (epoch > 0 ? "The checkpoint after epoch " + epoch + " is kept. " : "")
                        + "Lower the learning rate and start again.");
            }
            apply(sum, layout, optimizer, manager);
            tally.add(sum.lossSum(), sum.correct(), sum.images());
            double elapsed = tally.seconds();
            out.printf(
                    Locale.ROOT,
                    "epoch %d/%d step %d/%d: loss %.4f, %.1f images/s, ETA %s%n",
                    epoch + 1,
                    recipe.epochs(),
                    step + 1,
                    steps,
                    tally.meanLoss(),
                    tally.imagesPerSecond(),
                    eta(elapsed / (step + 1) * (steps - step - 1)));
            out.flush();
        }
        return tally.metrics(epoch + 1, lr, skipped);
    }

    /**
     * The partitions' shares of the global batch {@code order[from, to)}: image j of the batch goes to partition j mod
     * shards, so every share is within one image of the others.
     */
    static List<TrainingShard> shards(ImageDataset train, int[] order, int from, int to, int shards) {
        int count = Math.min(shards, to - from);
        List<TrainingShard> out = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            int n = (to - from - p + count - 1) / count;
            int[] indices = new int[n];
            ImageRef[] refs = new ImageRef[n];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                int index = order[from + p + i * count];
                indices[i] = index;
                refs[i] = TrainingImages.ref(train, index);
                labels[i] = train.label(index);
            }
            out.add(new TrainingShard(indices, refs, labels));
        }
        return out;
    }

    /**
     * The driver's step: the mean gradient of the global batch into NesterovSgd, as {@code train}'s trainer hands it
     * over, and the image-weighted mean of the partitions' BN statistics.
     */
    static void apply(ShardGradient sum, ParameterLayout layout, NesterovSgd optimizer, NDManager manager) {
        // libtorch's autograd switch is per thread and on by default; DJL turns it off only on the thread that
        // started the engine and when a gradient collector closes. The update writes the weights in place, which
        // autograd forbids on parameters that require gradients.
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        float scale = 1f / sum.images();
        int at = 0;
        for (Parameter p : layout.trainable()) {
            int n = Math.toIntExact(p.getArray().size());
            float[] g = java.util.Arrays.copyOfRange(sum.gradients(), at, at + n);
            for (int i = 0; i < n; i++) {
                g[i] *= scale;
            }
            at += n;
            try (NDManager scope = manager.newSubManager()) {
                NDArray gradient = scope.create(g, p.getArray().getShape());
                optimizer.update(p.getId(), p.getArray(), gradient);
            }
        }
        ParameterLayout.load(layout.statistics(), sum.statistics(), scale);
    }

    /** train's backbone learning-rate scale: every parameter but the classifier's learns at that fraction. */
    private void scaleBackboneRate(DenseNet network, ParameterLayout layout, NesterovSgd optimizer) {
        if (recipe.backboneLrScale() == 1) {
            return;
        }
        Set<Parameter> classifier =
                new HashSet<>(network.head().classifier().getParameters().values());
        for (Parameter p : layout.trainable()) {
            if (!classifier.contains(p)) {
                optimizer.scaleLearningRate(p.getId(), (float) recipe.backboneLrScale());
            }
        }
    }

    /** The most float32 values of one partition's share of the batch (1 GiB): an executor holds them at once. */
    private static final long MAX_SHARD_VALUES = 1L << 28;

    /** Refuses a global batch whose share per partition an executor could not hold as one float32 array. */
    private void requireShardBatchFits(ModelSpec spec) {
        long perShard = (recipe.batchSize() + shards - 1) / shards;
        long values = perShard * spec.channels() * spec.height() * spec.width();
        if (values > MAX_SHARD_VALUES) {
            throw new IllegalArgumentException("a partition's share of the batch (" + perShard + " images of "
                    + spec.channels() + "x" + spec.height() + "x" + spec.width() + ") takes " + (values >> 18)
                    + " MiB as float32, over " + (MAX_SHARD_VALUES >> 18) + " MiB: use a smaller global batch or "
                    + "more partitions");
        }
    }

    /** The driver holds one gradient (and BN statistics) per partition each step: refuse what its heap cannot. */
    private void requireDriverMemory(ParameterLayout layout) {
        long perShard = 4L * ParameterLayout.count(layout.all());
        long needed = perShard * shards;
        long available = Runtime.getRuntime().maxMemory() / 2;
        if (needed > available) {
            throw new IllegalArgumentException(shards + " partitions send the driver " + (needed >> 20) + " MiB of "
                    + "gradients per step, more than half its heap (" + (available >> 20) + " MiB): use fewer "
                    + "partitions or give the driver more memory");
        }
    }

    private static String eta(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
