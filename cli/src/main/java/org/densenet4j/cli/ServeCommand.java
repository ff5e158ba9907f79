package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.Explainer;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.MemoryPlan;
import org.densenet4j.script.Int8Model;
import org.densenet4j.serve.PredictionServer;
import org.densenet4j.serve.UploadLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code densenet4j serve}: the HTTP prediction service and its web page. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = "Serve a model over HTTP: POST /predict (raw image body or multipart field 'image'), "
                + "POST /explain (the same upload; a class activation map as PNG or JSON), GET /health, GET /model, "
                + "and a web page at /.")
final class ServeCommand implements Callable<Integer> {

    /** How long the shutdown hook waits for the model to be freed after the server stopped. */
    private static final long FINISH_SECONDS = 30;

    @Mixin
    CheckpointOption checkpoint;

    @Mixin
    PrecisionOption precision;

    @Mixin
    CalibrationOption calibration;

    @Option(names = "--port", defaultValue = "8080", description = "Default: ${DEFAULT-VALUE}; 0 picks a free port.")
    int port;

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(
            names = "--max-batch",
            defaultValue = "32",
            description =
                    "Most concurrent requests in one forward pass; 1 turns batching off (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(
            names = "--max-delay-ms",
            defaultValue = "5",
            description = "How long a request waits for others to share its batch (default: ${DEFAULT-VALUE}).")
    long maxDelayMillis;

    @Option(names = "--max-upload-bytes", defaultValue = "10485760", description = "Default: ${DEFAULT-VALUE}.")
    long maxUploadBytes;

    @Option(
            names = "--max-pixels",
            defaultValue = "16777216",
            description = "Largest width x height accepted (default: ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(
            names = "--max-side",
            defaultValue = "16384",
            description = "Longest width or height accepted, checked from the header before decoding "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxSide;

    @Option(
            names = "--max-queue-latency",
            paramLabel = "MS",
            defaultValue = "2000",
            description = "How long a request may wait for the model: requests queue while the measured speed "
                    + "answers them within this; past it they get 503 with Retry-After (default: ${DEFAULT-VALUE}).")
    long maxQueueLatencyMillis;

    @Spec
    CommandSpec spec;

    /** Every limit must be a real one: a negative size or delay would silently disable or break it. */
    private void checkOptions() {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535 (0 picks a free port), got " + port);
        }
        if (maxBatch < 1 || maxDelayMillis < 0 || maxUploadBytes < 1 || maxPixels < 1 || maxSide < 1) {
            throw new IllegalArgumentException("--max-batch, --max-upload-bytes, --max-pixels and --max-side must be "
                    + "at least 1 and --max-delay-ms at least 0; got " + maxBatch + ", " + maxUploadBytes + ", "
                    + maxPixels + ", " + maxSide + " and " + maxDelayMillis);
        }
        if (maxQueueLatencyMillis < 1 || maxQueueLatencyMillis > 600_000) {
            throw new IllegalArgumentException(
                    "--max-queue-latency must be 1..600000 ms, got " + maxQueueLatencyMillis);
        }
        if (maxUploadBytes > Integer.MAX_VALUE - (1 << 17)) {
            throw new IllegalArgumentException("--max-upload-bytes must be below 2 GB, got " + maxUploadBytes);
        }
        try {
            java.net.InetAddress.getByName(host);
        } catch (java.net.UnknownHostException | SecurityException e) {
            throw new IllegalArgumentException(
                    "--host " + host + " is not an address or a name this machine can " + "resolve");
        }
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        checkOptions();
        Path file = checkpoint.resolve();
        CountDownLatch stopped = new CountDownLatch(1);
        // The JVM halts once the shutdown hook returns: the hook waits for the main thread to free (or keep) the model.
        CountDownLatch finished = new CountDownLatch(1);
        NDManager manager = NDManager.newBaseManager();
        PredictionServer served = null;
        try {
            InferenceModel loaded = calibration.open(
                    checkpoint,
                    precision.precision(),
                    manager,
                    spec.commandLine().getErr());
            ModelSpec model = loaded.spec();
            MemoryCheck.require(
                    "serving " + model.modelName(),
                    model.config(),
                    model.batchShape(1).slice(1),
                    maxBatch,
                    MemoryPlan.Use.INFERENCE,
                    "--max-batch");
            ImageClassifier classifier = new ImageClassifier(loaded, manager);
            // int8 explains by CAM on its own network; a float TorchScript module holds no DenseNet to explain:
            // /explain then answers 501.
            Explainer explainer = loaded instanceof TrainedModel trained
                    ? new Explainer(trained, manager)
                    : loaded instanceof Int8Model int8
                            ? Explainer.camOnly(int8.spec(), int8::logitsAndClassActivationMaps, manager)
                            : null;
            PredictionServer server = new PredictionServer(
                    classifier,
                    explainer,
                    file.toString(),
                    new UploadLimits(maxUploadBytes, maxPixels, maxSide),
                    maxBatch,
                    maxDelayMillis,
                    maxQueueLatencyMillis);
            served = server;
            int actual;
            try {
                actual = server.start(host, port);
            } catch (RuntimeException e) { // Javalin reports every bind failure as "port already in use"
                server.close();
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                throw new IOException("cannot listen on " + host + ":" + port + ": " + cause.getMessage(), e);
            }
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                server.close();
                                stopped.countDown();
                                try {
                                    finished.await(FINISH_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            },
                            "densenet4j-shutdown"));
            spec.commandLine()
                    .getOut()
                    .printf(
                            "serving %s on http://%s:%d/ (Ctrl-C stops)%n",
                            TerminalText.escape(loaded.spec().modelName()), host, actual);
            spec.commandLine().getOut().flush();
            stopped.await();
        } finally {
            try {
                if (served == null || served.modelReleased()) {
                    manager.close();
                } else { // freeing the model under a running forward pass could crash the JVM; the exit frees it
                    spec.commandLine()
                            .getErr()
                            .println("densenet4j serve: a request still runs on the model after the shutdown grace; "
                                    + "the model is left to the process exit");
                    spec.commandLine().getErr().flush();
                }
            } finally {
                finished.countDown();
            }
        }
        return 0;
    }
}
