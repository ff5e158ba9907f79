package org.densenet4j.spark;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import com.google.gson.Gson;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.hadoop.conf.Configuration;
import org.densenet4j.data.Augmentation;
import org.densenet4j.data.AugmentationKind;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.data.Seeds;
import org.densenet4j.data.UnreadableImageException;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.Freeze;
import org.densenet4j.train.MixedPrecisionPass;
import org.densenet4j.train.TrainingPass;
import org.densenet4j.train.TrainingStep;

/**
 * The executor's half of a data-parallel step: on the weights the driver broadcast, the gradient of one partition's
 * share of the global batch. Each executor JVM keeps one network per task running at once (a replica), built once
 * from the same pretrained file and settings as the driver's, so that parameters line up by position.
 */
final class ExecutorTrainer {

    /**
     * What every replica is built from.
     *
     * @param spec the network and its input, as {@link ModelSpec#describe} in JSON (the form checkpoints store): the
     *     weights come with every step, so executors need no model file
     * @param freeze the part kept fixed, by its command-line name
     * @param bf16 compute the pass in bf16 mixed precision ({@link MixedPrecisionPass}), as {@code train} does
     * @param augmentation the training augmentation
     * @param seed the run's seed
     * @param threads libtorch threads per executor
     * @param maxImageBytes the largest image read
     */
    record Setup(
            String spec,
            String freeze,
            boolean bf16,
            AugmentationKind augmentation,
            long seed,
            int threads,
            long maxImageBytes)
            implements Serializable {

        Setup(
                ModelSpec spec,
                String freeze,
                boolean bf16,
                AugmentationKind augmentation,
                long seed,
                int threads,
                long maxImageBytes) {
            this(new Gson().toJson(spec.describe()), freeze, bf16, augmentation, seed, threads, maxImageBytes);
        }

        /** The network and its input, read back as a checkpoint's description is. */
        ModelSpec modelSpec() {
            Map<?, ?> d = new Gson().fromJson(spec, Map.class);
            return ModelSpec.fromDescription(
                    d.get(ModelSpec.MODEL),
                    d.get(ModelSpec.INPUT),
                    d.get(ModelSpec.CLASSES),
                    d.get(ModelSpec.NORMALIZATION));
        }
    }

    private static final ConcurrentLinkedQueue<Replica> IDLE = new ConcurrentLinkedQueue<>();

    /**
     * Tests only: a system property "EPOCH:STEP" (0-based) makes the first attempt of each of that step's tasks fail
     * once its gradient is computed, as a task whose executor is lost mid-step; Spark then retries it.
     */
    static final String FAIL_FIRST_ATTEMPT = "densenet4j.spark.test.failFirstAttempt";

    /** Tests only: the task attempts {@link #FAIL_FIRST_ATTEMPT} failed in this JVM. */
    static final java.util.concurrent.atomic.AtomicInteger INJECTED_FAILURES =
            new java.util.concurrent.atomic.AtomicInteger();

    private ExecutorTrainer() {}

    /**
     * The summed gradient of {@code shard}'s images on {@code weights} (laid out as {@link ParameterLayout#all}), at
     * {@code epoch} and {@code step}: everything random derives from the seed, epoch, step and image, so a retried
     * task gives the same answer.
     */
    static ShardGradient gradient(Setup setup, float[] weights, TrainingShard shard, int epoch, int step) {
        Replica replica = IDLE.poll();
        if (replica == null || !replica.setup.equals(setup)) {
            if (replica != null) {
                replica.close();
            }
            replica = new Replica(setup);
        }
        ShardGradient g;
        try {
            g = replica.gradient(weights, shard, epoch, step);
        } catch (RuntimeException e) {
            replica.close(); // its state is unknown: build another next time
            throw e;
        }
        IDLE.add(replica);
        org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
        if (task != null
                && task.attemptNumber() == 0
                && (epoch + ":" + step).equals(System.getProperty(FAIL_FIRST_ATTEMPT))) {
            INJECTED_FAILURES.incrementAndGet();
            throw new IllegalStateException("injected failure of the first attempt at epoch " + epoch + ", step " + step
                    + " (" + FAIL_FIRST_ATTEMPT + ")");
        }
        return g;
    }

    /** One network with its trainer, used by one task at a time. */
    private static final class Replica implements AutoCloseable {
        private final Setup setup;
        private final Model model;
        private final Trainer trainer;
        private final ParameterLayout layout;
        private final ModelSpec spec;
        private final ImageConverter converter;
        /** The forward pass: float32, or bf16 mixed precision. */
        private final TrainingPass forward;

        private final Configuration hadoop = ExecutorHadoop.configuration(); // once

        Replica(Setup setup) {
            this.setup = setup;
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(setup.threads()));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            spec = setup.modelSpec();
            DenseNet network = new DenseNet(spec.config());
            model = Model.newInstance(spec.modelName());
            model.setBlock(network);
            network.initialize(model.getNDManager(), DataType.FLOAT32, spec.batchShape(1));
            network.freeze(Freeze.parse(setup.freeze()));
            try {
                // Compiled for the network as frozen; it reads the network's parameters, which each step loads.
                forward = setup.bf16() ? MixedPrecisionPass.compile(network) : TrainingPass.FLOAT32;
            } catch (IOException e) {
                model.close();
                throw new UncheckedIOException(e);
            }
            trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()));
            trainer.initialize(spec.batchShape(1));
            layout = new ParameterLayout(network);
            converter = new ImageConverter(spec.channels(), spec.height(), spec.width(), spec.resizeAndCrop());
        }

        ShardGradient gradient(float[] weights, TrainingShard shard, int epoch, int step) {
            ParameterLayout.load(layout.all(), weights, 1);
            long epochSeed = Seeds.mix(setup.seed(), epoch);
            Augmentation augmentation = Augmentation.of(setup.augmentation());
            // Read in the order rows read fastest (a table's row group in one pass); batched in the shard's order.
            Integer[] readOrder = new Integer[shard.size()];
            Arrays.setAll(readOrder, i -> i);
            Arrays.sort(readOrder, java.util.Comparator.comparing(i -> shard.refs()[i], ImageRefReader.ORDER));
            byte[][] pixels = new byte[shard.size()][];
            List<String> unreadable = new ArrayList<>();
            long skipped = 0;
            try (ImageRefReader reader = new ImageRefReader(hadoop, setup.maxImageBytes())) {
                for (int i : readOrder) {
                    try {
                        BufferedImage image = reader.read(shard.refs()[i]);
                        // Seeded as train's batch loader seeds the image: (seed, epoch) then its index.
                        pixels[i] = augmentation == null
                                ? converter.toPixels(image)
                                : converter.augmentedPixels(
                                        image,
                                        augmentation,
                                        new SplittableRandom(Seeds.mix(epochSeed, shard.indices()[i])));
                    } catch (UnreadableImageException | RuntimeException e) { // unreadable, too large, or gone
                        skipped++;
                        if (unreadable.size() < ShardGradient.NAMED) {
                            unreadable.add((e instanceof UnreadableImageException ? "" : shard.refs()[i].name() + ": ")
                                    + ParquetImageTable.oneLine(e));
                        }
                    }
                }
            }
            int imageSize = spec.channels() * spec.height() * spec.width();
            float[] x = new float[shard.size() * imageSize];
            int[] y = new int[shard.size()];
            int n = 0;
            for (int i = 0; i < shard.size(); i++) {
                if (pixels[i] != null) {
                    spec.normalization().apply(pixels[i], x, n * imageSize);
                    y[n++] = shard.labels()[i];
                }
            }
            if (n == 0) {
                return new ShardGradient(null, null, 0, 0, 0, skipped, List.copyOf(unreadable));
            }
            // DJL records autograd for one pass at a time per JVM: tasks of one executor take turns here. Dropout
            // draws from the engine's generator, seeded by the step: the result does not depend on which executor
            // runs the task or how often.
            synchronized (ExecutorTrainer.class) {
                Engine.getInstance().setRandomSeed((int) Seeds.mix(Seeds.mix(setup.seed(), epoch), step));
                return forwardBackward(x, y, n, skipped, unreadable);
            }
        }

        private ShardGradient forwardBackward(float[] x, int[] y, int n, long skipped, List<String> unreadable) {
            int imageSize = spec.channels() * spec.height() * spec.width();
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDArray images = scope.create(Arrays.copyOf(x, n * imageSize), spec.batchShape(n));
                NDArray labels = scope.create(Arrays.copyOf(y, n));
                TrainingStep.Pass pass = TrainingStep.PLAIN.forwardBackward(trainer, forward, images, labels);
                long correct = pass.logits()
                        .argMax(1)
                        .toType(DataType.INT32, false)
                        .eq(labels.toType(DataType.INT32, false))
                        .sum()
                        .getLong();
                float[] gradients = scaled(gradients(layout.trainable()), n);
                float[] statistics = scaled(ParameterLayout.flatten(layout.statistics()), n);
                return new ShardGradient(
                        gradients, statistics, (double) pass.loss() * n, correct, n, skipped, List.copyOf(unreadable));
            }
        }

        private static float[] gradients(List<Parameter> trainable) {
            int total = 0;
            for (Parameter p : trainable) {
                total += Math.toIntExact(p.getArray().size());
            }
            float[] out = new float[total];
            int at = 0;
            for (Parameter p : trainable) {
                try (NDArray g = p.getArray().getGradient()) {
                    float[] values = g.toFloatArray();
                    System.arraycopy(values, 0, out, at, values.length);
                    at += values.length;
                }
            }
            return out;
        }

        private static float[] scaled(float[] values, int by) {
            for (int i = 0; i < values.length; i++) {
                values[i] *= by;
            }
            return values;
        }

        @Override
        public void close() {
            if (forward instanceof MixedPrecisionPass mixed) {
                mixed.close();
            }
            trainer.close();
            model.close();
        }
    }
}
