package org.densenet4j.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkFiles;
import org.densenet4j.infer.FeatureExtractor;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.zoo.BundledModel;

/**
 * The model of this executor JVM, loaded once on first use and shared by all its tasks: loading per
 * row (or per partition) would cost more than classifying.
 */
final class ExecutorModel {

    /**
     * The model itself, held as long as the executor: a TorchScript archive's native module is released when its
     * model is collected, and the classifier holds only its block.
     */
    private static InferenceModel model;

    private static ImageClassifier classifier;
    /** For --features: the same network, answering features with the classification; null for an archive. */
    private static FeatureExtractor extractor;

    private static ModelRequest loadedFrom;

    /** Forward passes running now, and whether the JVM is shutting down (then no new one starts). */
    private static final java.util.concurrent.atomic.AtomicInteger RUNNING =
            new java.util.concurrent.atomic.AtomicInteger();

    private static volatile boolean stopping;
    /** How long shutdown waits for running forward passes: far longer than one batch takes. */
    private static final long GRACE_MILLIS = 120_000;

    private ExecutorModel() {}

    /**
     * Classifies a batch, unless this JVM is shutting down (Ctrl-C, SIGTERM, the cluster stopping the
     * executor): shutdown waits for running batches, so the JVM never exits under libtorch's threads.
     */
    static java.util.List<ai.djl.modality.Classifications> classify(
            ImageClassifier classifier, java.util.List<java.awt.image.BufferedImage> images) {
        return unlessStopping(() -> classifier.classify(images));
    }

    /** As {@link #classify}, keeping each image's features (one forward pass). */
    static java.util.List<FeatureExtractor.Classified> classifyWithFeatures(
            FeatureExtractor extractor, java.util.List<java.awt.image.BufferedImage> images) {
        return unlessStopping(() -> extractor.classify(images));
    }

    /** Runs a forward pass, counted so that shutdown waits for it, unless the JVM is already shutting down. */
    private static <T> T unlessStopping(java.util.function.Supplier<T> forward) {
        RUNNING.incrementAndGet();
        try {
            if (stopping) {
                throw new IllegalStateException("this executor is shutting down; the batch was not classified");
            }
            return forward.get();
        } finally {
            RUNNING.decrementAndGet();
        }
    }

    /**
     * The feature extractor for the requested model (see {@link #get}).
     *
     * @throws IllegalArgumentException for a TorchScript archive or bf16, which run without the DenseNet's stages
     */
    static synchronized FeatureExtractor features(ModelRequest request, int threads) {
        get(request, threads);
        if (extractor == null) {
            throw new IllegalArgumentException("--features needs a densenet4j checkpoint or .pth computed in fp32, not "
                    + (request.file() == null ? "the bundled model" : request.file()) + " in "
                    + request.precision() + " (a TorchScript archive holds no features)");
        }
        return extractor;
    }

    /** On shutdown: waits for running batches, then closes the model (unless a batch still runs in it). */
    private static void awaitRunningBatchesAndClose() {
        stopping = true;
        long deadline = System.currentTimeMillis() + GRACE_MILLIS;
        while (RUNNING.get() > 0 && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        synchronized (ExecutorModel.class) {
            if (RUNNING.get() == 0 && model instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    // the JVM is exiting: the native memory goes with it
                }
            }
        }
    }

    /**
     * The classifier for the requested model, whose file is a path on this machine or the name of a file shipped
     * with {@code spark-submit --files}; no file means the bundled model, which every executor has in the core jar.
     */
    static synchronized ImageClassifier get(ModelRequest request, int threads) {
        if (classifier != null) {
            if (!loadedFrom.equals(request)) {
                throw new IllegalStateException("this executor already serves " + loadedFrom + ", not " + request);
            }
            return classifier;
        }
        Runtime.getRuntime()
                .addShutdownHook(new Thread(ExecutorModel::awaitRunningBatchesAndClose, "densenet4j-executor-stop"));
        // libtorch reads its thread count when the engine starts, which is on the first model load.
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.offline", "true");
        NDManager manager = NDManager.newBaseManager(); // lives as long as the executor
        try {
            Path file = request.pretrained() != null ? request.pretrainedFile() : locate(request.file());
            java.util.function.Consumer<String> warnings = warning ->
                    org.slf4j.LoggerFactory.getLogger(ExecutorModel.class).warn(warning);
            InferenceModel loaded = request.computePrecision() == org.densenet4j.infer.Precision.INT8
                    ? ModelFiles.openInt8(file, request.options(), request.calibration(), manager, warnings)
                    : ModelFiles.openForInference(
                            file, request.options(), request.computePrecision(), manager, warnings);
            model = loaded;
            classifier = new ImageClassifier(loaded, manager);
            extractor = loaded instanceof TrainedModel trained ? new FeatureExtractor(trained, manager) : null;
            loadedFrom = request;
            return classifier;
        } catch (IOException e) {
            manager.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Why this executor cannot find the model file, or the empty string when it can. */
    static String missing(String checkpoint) {
        try {
            locate(checkpoint);
            return "";
        } catch (UncheckedIOException e) {
            return e.getCause().getMessage();
        }
    }

    static Path locate(String checkpoint) {
        if (checkpoint == null) {
            return BundledModel.path();
        }
        Path direct = Path.of(checkpoint);
        if (Files.isRegularFile(direct)) {
            return direct;
        }
        try {
            Path shipped = Path.of(SparkFiles.get(direct.getFileName().toString()));
            if (Files.isRegularFile(shipped)) {
                return shipped;
            }
        } catch (RuntimeException e) {
            // no SparkContext files on this JVM: fall through to the error below
        }
        throw new UncheckedIOException(new IOException(checkpoint + ": checkpoint not found on this executor; "
                + "ship it with spark-submit --files " + checkpoint + " or put it on a shared path"));
    }
}
