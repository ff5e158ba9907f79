package org.densenet4j.serve;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.densenet4j.infer.Explainer;
import org.densenet4j.infer.Explanation;
import org.densenet4j.infer.ExplanationPicture;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Prediction;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.BlockingArrayQueue;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP service.
 *
 * <ul>
 *   <li>{@code POST /predict?topk=K}: an image as the raw body or multipart field {@code image}; answers
 *       {@code {"predictions": [{"label", "probability"}...]}};
 *   <li>{@code POST /explain?class=top|NAME|INDEX&method=cam|gradcam&layer=blockN}: the same upload; answers a PNG
 *       of the class activation map over the image, or with {@code Accept: application/json} the map as numbers;
 *   <li>{@code GET /health}, {@code GET /model}: liveness and what model is served;
 *   <li>{@code GET /}: a page where a person drops or picks an image and sees a bar chart.
 * </ul>
 *
 * Bad uploads get a 4xx answer with {@code {"error": "..."}}; so do unknown paths (404), wrong methods (405) and
 * requests Jetty cannot parse (400).
 *
 * <p>Every resource a client can hold is bounded, so that no kind or number of clients can starve {@code /health}.
 * Uploads are handled asynchronously: a request thread only starts a request; the body is read as it arrives
 * ({@link BodyReader}: size limit, minimum rate, one memory budget for all bodies), decoded on {@link
 * #decodeThreads()} threads, and queued for the model ({@link RequestBatcher}) or the explainer ({@link
 * SerialWorker}) without a thread waiting for it. Those queues are sized from a latency budget ({@link
 * LatencyBudget}): requests beyond the workers wait their turn, and only requests that could not be answered within
 * the budget get 503 with {@code Retry-After}. Connections are limited to {@link #MAX_CONNECTIONS} (cheap under
 * NIO), and each is closed after {@link #IDLE_TIMEOUT_MS} of silence, sooner when the limit is reached.
 */
public final class PredictionServer implements AutoCloseable {

    /** Request threads: they parse, start and answer requests; none waits for an upload or for the model. */
    static final int MAX_THREADS = 32;
    /** Open connections; a waiting connection costs a socket and a buffer, not a thread. */
    static final int MAX_CONNECTIONS = 4096;
    /** A connection that sends nothing for this long is closed (slow or stalled clients). */
    static final int IDLE_TIMEOUT_MS = 10_000;
    /** The idle timeout once {@link #MAX_CONNECTIONS} are open: idle connections make room faster. */
    static final int IDLE_TIMEOUT_AT_LIMIT_MS = 1_000;
    /** After the grace period, a client uploading slower than this on average is cut off with 408. */
    static final int MIN_UPLOAD_BYTES_PER_SECOND = 8 * 1024;
    /** How long an upload may take before its rate is checked (connection set-up, a first slow packet). */
    static final int UPLOAD_GRACE_MS = 1_000;
    /** Room around the largest image for multipart framing and other fields. */
    static final int MULTIPART_FRAMING_BYTES = 1 << 16;
    /** How long close() waits at each step: for the requests in flight, then for each worker's last job. */
    static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);
    /** Memory for queued model inputs: bounds the prediction queue for models with large inputs. */
    static final long QUEUE_MEMORY_BYTES = 256L << 20;
    /** The most predictions ever queued, whatever the latency budget and speed. */
    static final int MAX_QUEUED_PREDICTIONS = 4096;
    /** Memory for decoded images waiting to be explained (at least one of the largest). */
    static final long QUEUED_IMAGES_MEMORY_BYTES = 256L << 20;
    /** The most explanations ever queued. */
    static final int MAX_QUEUED_EXPLANATIONS = 64;
    /** A request not answered by then gets 503: a last guard, the latency budget answers far sooner. */
    static final long REQUEST_TIMEOUT_SECONDS = 60;

    private final ModelSpec spec;
    private final ImageClassifier classifier;
    private final Explainer explainer;
    private final String checkpoint;
    private final UploadLimits limits;
    private final long maxQueueLatencyMillis;
    private final UploadDecoder decoder;
    private final MemoryBudget uploadMemory;
    private final BodyReader bodies;
    private final ExecutorService decoders;
    private final RequestBatcher batcher;
    private final SerialWorker explanations;
    private final MemoryBudget queuedImages;
    /** Requests started and not yet answered: close() waits for them. */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    private volatile boolean closing;
    private QueuedThreadPool requestThreads;
    private Javalin app;

    /**
     * @param explainer null for a model that cannot be explained (/explain answers 501)
     * @param maxQueueLatencyMillis how long a request may wait for the model; sizes the queues
     */
    public PredictionServer(
            ImageClassifier classifier,
            Explainer explainer,
            String checkpoint,
            UploadLimits limits,
            int maxBatch,
            long maxDelayMillis,
            long maxQueueLatencyMillis) {
        this.spec = classifier.spec();
        this.classifier = classifier;
        this.explainer = explainer;
        this.checkpoint = java.nio.file.Path.of(checkpoint).getFileName().toString();
        this.limits = limits;
        this.maxQueueLatencyMillis = maxQueueLatencyMillis;
        this.decoder = new UploadDecoder(limits);
        this.uploadMemory = new MemoryBudget("uploads in progress", uploadMemoryBytes(limits));
        this.bodies = new BodyReader(uploadMemory, MIN_UPLOAD_BYTES_PER_SECOND, UPLOAD_GRACE_MS);
        this.decoders = Executors.newFixedThreadPool(decodeThreads(), DaemonThreads.named("densenet4j-decoder"));
        long inputBytes = 4L * spec.channels() * spec.height() * spec.width();
        int maxQueued = (int) Math.max(maxBatch, Math.min(MAX_QUEUED_PREDICTIONS, QUEUE_MEMORY_BYTES / inputBytes));
        this.batcher = new RequestBatcher(
                classifier::classifyInputs,
                maxBatch,
                maxDelayMillis,
                new LatencyBudget(maxQueueLatencyMillis, maxBatch, maxQueued));
        this.queuedImages = new MemoryBudget(
                "images waiting to be explained", Math.max(QUEUED_IMAGES_MEMORY_BYTES, 4 * limits.maxPixels()));
        this.explanations = new SerialWorker(
                "explanations",
                "densenet4j-explainer",
                new LatencyBudget(maxQueueLatencyMillis, 2, MAX_QUEUED_EXPLANATIONS));
    }

    /**
     * Memory for upload bodies in flight: room for 32 of the largest at once (at least 64 MB, so that many small
     * uploads never wait on a few large ones), but at most a quarter of the heap and at least one upload.
     */
    static long uploadMemoryBytes(UploadLimits limits) {
        long largest = limits.maxBytes() + MULTIPART_FRAMING_BYTES + 1;
        long wanted = Math.max(64L << 20, 32 * largest);
        return Math.max(largest, Math.min(Runtime.getRuntime().maxMemory() / 4, wanted));
    }

    /**
     * Threads decoding uploads: one per core, at most 4. Each holds at most one decoded image (up to
     * {@code --max-pixels}), so this also bounds the memory of decoding.
     */
    static int decodeThreads() {
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    /** Starts listening; port 0 picks a free port. Returns the port. */
    public int start(String host, int port) {
        batcher.warmUp(new float[spec.channels() * spec.height() * spec.width()]);
        if (explainer != null) {
            BufferedImage blank = new BufferedImage(spec.width(), spec.height(), BufferedImage.TYPE_INT_RGB);
            explanations.warmUp(() -> explainer.explain(blank, "top", Explainer.Method.CAM, explainer.blocks()));
        }
        // Each connection has at most one request job queued at a time: a queue that size never refuses one.
        requestThreads = new QueuedThreadPool(
                MAX_THREADS, 4, 60_000, new BlockingArrayQueue<>(MAX_CONNECTIONS, 0, MAX_CONNECTIONS));
        requestThreads.setName("densenet4j-http");
        app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.prefer405over404 = true;
            config.http.asyncTimeout = 0; // every pipeline ends itself (REQUEST_TIMEOUT_SECONDS at the latest)
            config.useVirtualThreads = false;
            config.jetty.threadPool = requestThreads;
            config.jetty.modifyServer(server -> {
                ConnectionLimit connections = new ConnectionLimit(MAX_CONNECTIONS, server);
                connections.setIdleTimeout(IDLE_TIMEOUT_AT_LIMIT_MS);
                server.addBean(connections);
                server.setErrorHandler(new JsonErrorHandler());
            });
        });
        app.before(PredictionServer::checkQueryString);
        app.get("/", ctx -> ctx.contentType("text/html; charset=utf-8").result(page()));
        app.get("/health", ctx -> json(ctx, 200, Map.of("status", "ok")));
        app.get("/model", ctx -> json(ctx, 200, modelInfo()));
        app.post("/predict", this::predict);
        app.post("/explain", this::explain);
        app.exception(Exception.class, (e, ctx) -> reply(ctx, Reply.of(e)));
        app.error(
                404,
                ctx -> json(
                        ctx,
                        404,
                        Map.of(
                                "error",
                                "no such resource: " + ctx.method() + " " + ctx.path()
                                        + " (see GET /model; POST /predict)")));
        app.error(
                405,
                ctx -> json(ctx, 405, Map.of("error", "method " + ctx.method() + " is not allowed on " + ctx.path())));
        app.start(host, port);
        for (Connector connector : app.jettyServer().server().getConnectors()) {
            if (connector instanceof AbstractConnector c) {
                c.setIdleTimeout(IDLE_TIMEOUT_MS);
            }
        }
        return app.port();
    }

    private void predict(Context ctx) {
        int topK;
        try {
            topK = Integer.parseInt(query(ctx, "topk", "5"));
        } catch (IllegalArgumentException e) { // NumberFormatException included
            json(ctx, 400, Map.of("error", "topk must be an integer from 1 to " + Integer.MAX_VALUE));
            return;
        }
        if (topK < 1) {
            json(ctx, 400, Map.of("error", "topk must be at least 1"));
            return;
        }
        if (!batcher.hasRoom()) { // refused before its upload is read
            reply(ctx, Reply.of(batcher.overloaded()));
            return;
        }
        String type = ctx.contentType();
        answerLater(ctx, () -> readUpload(ctx, type)
                .thenApplyAsync(
                        Step.unchecked(upload -> {
                            try (upload) {
                                return classifier.input(decoder.decode(upload, type));
                            }
                        }),
                        decoders)
                .thenCompose(Step.unchecked(batcher::submit))
                .thenApply(c -> Reply.json(200, Map.of("predictions", Prediction.topK(c, topK)))));
    }

    private void explain(Context ctx) {
        if (explainer == null) {
            json(
                    ctx,
                    501,
                    Map.of(
                            "error",
                            "this model runs as a TorchScript module (an archive, or --precision bf16), which holds "
                                    + "no DenseNet to explain; serve the checkpoint in fp32 or int8 to explain"));
            return;
        }
        Explainer.Method method;
        int block;
        String target;
        try {
            method = Explainer.Method.parse(query(ctx, "method", "cam"));
            String layer = query(ctx, "layer", "block" + explainer.blocks());
            block = Integer.parseInt(layer.replaceFirst("^block", ""));
            target = query(ctx, "class", "top");
        } catch (IllegalArgumentException e) { // NumberFormatException included
            json(
                    ctx,
                    400,
                    Map.of("error", "method must be cam or gradcam and layer block1..block" + explainer.blocks()));
            return;
        }
        try {
            explainer.refuseGradCam(method);
        } catch (IllegalArgumentException e) {
            json(ctx, 400, Map.of("error", e.getMessage()));
            return;
        }
        if (!explanations.hasRoom()) {
            reply(ctx, Reply.of(explanations.overloaded()));
            return;
        }
        String accept = ctx.header("Accept");
        boolean asJson = accept != null && accept.contains("application/json");
        String type = ctx.contentType();
        // Decoded before it queues, so that what the upload is (an image too large, or no image) never depends on
        // the queue; queued images are paid from their own memory budget.
        answerLater(ctx, () -> readUpload(ctx, type)
                .thenApplyAsync(
                        Step.unchecked(upload -> {
                            try (upload) {
                                return decoder.decode(upload, type);
                            }
                        }),
                        decoders)
                .thenCompose(Step.unchecked(image -> {
                    long bytes = 4L * image.getWidth() * image.getHeight();
                    queuedImages.reserve(bytes);
                    try {
                        return explanations.submit(() -> {
                            try {
                                return explanation(image, target, method, block, asJson);
                            } finally {
                                queuedImages.release(bytes);
                            }
                        });
                    } catch (OverloadedException e) {
                        queuedImages.release(bytes);
                        throw e;
                    }
                })));
    }

    /** Runs on the explainer's thread: one explanation at a time, its picture bounded by ExplanationPicture. */
    private Reply explanation(BufferedImage image, String target, Explainer.Method method, int block, boolean asJson)
            throws IOException {
        Explanation e = explainer.explain(image, target, method, block);
        if (asJson) {
            return Reply.json(200, e.describe(image.getWidth(), image.getHeight()));
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(ExplanationPicture.draw(image, e), "png", png);
        return new Reply(200, "image/png", png.toByteArray(), 0);
    }

    /** The upload of a request, read without holding a thread; multipart framing gets a little room. */
    private CompletableFuture<Upload> readUpload(Context ctx, String type) {
        boolean multipart =
                type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/");
        return bodies.read(
                ctx.req(),
                multipart ? limits.maxBytes() + MULTIPART_FRAMING_BYTES : limits.maxBytes(),
                limits.maxBytes() + " bytes");
    }

    /**
     * Puts {@code ctx} in asynchronous mode, then starts {@code pipeline} (whose body reading needs that mode) and
     * answers when it completes, on a request thread (never on the model's or the explainer's), whatever it
     * completes with; the request holds no thread meanwhile.
     */
    private void answerLater(Context ctx, java.util.function.Supplier<CompletableFuture<Reply>> pipeline) {
        if (closing) {
            reply(ctx, Reply.of(new OverloadedException("the service is shutting down", 1)));
            return;
        }
        inFlight.incrementAndGet();
        ctx.future(() -> {
            CompletableFuture<Reply> started;
            try {
                started = pipeline.get();
            } catch (RuntimeException e) { // e.g. a task refused while shutting down: answered, and counted out
                started = CompletableFuture.failedFuture(e);
            }
            return started.orTimeout(REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .exceptionally(Reply::of)
                    .thenApplyAsync(
                            r -> {
                                try {
                                    reply(ctx, r);
                                } finally {
                                    inFlight.decrementAndGet(); // Javalin writes the answer on this thread right after
                                }
                                return Boolean.TRUE; // Javalin wants a value
                            },
                            requestThreads);
        });
    }

    /**
     * Refuses a query string that does not decode ({@code ?topk=%zz}): Javalin would drop the parameter silently and
     * answer with its default, which is not what the client asked for.
     *
     * @throws IllegalArgumentException naming the query string (answered 400)
     */
    private static void checkQueryString(Context ctx) {
        String query = ctx.queryString();
        if (query == null) {
            return;
        }
        try {
            java.net.URLDecoder.decode(query, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed query string '" + query + "': " + e.getMessage());
        }
    }

    /** A query parameter, or {@code fallback}; a malformed query string is an IllegalArgumentException. */
    private static String query(Context ctx, String name, String fallback) {
        String value = ctx.queryParam(name);
        return value == null ? fallback : value;
    }

    private Map<String, Object> modelInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", spec.modelName());
        m.put("checkpoint", checkpoint); // the file's name only: the server's folders are not the client's business
        m.put("input", spec.describeInput());
        m.put("classes", spec.classNames());
        m.put("max_upload_bytes", limits.maxBytes());
        m.put("max_pixels", limits.maxPixels());
        m.put("max_side", limits.maxSide());
        m.put("max_queue_latency_ms", maxQueueLatencyMillis);
        return m;
    }

    private static void reply(Context ctx, Reply r) {
        if (r.retryAfterSeconds() > 0) {
            ctx.header("Retry-After", Long.toString(r.retryAfterSeconds()));
        }
        ctx.status(r.status()).contentType(r.contentType()).result(r.body());
    }

    private static void json(Context ctx, int status, Object body) {
        reply(ctx, Reply.json(status, body));
    }

    private static String page() throws IOException {
        try (InputStream in = PredictionServer.class.getResourceAsStream("/web/index.html")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Answers the uploads and predictions in flight (new ones get 503), then stops Jetty and the workers. A request
     * that outlives the {@link #SHUTDOWN_GRACE} keeps running on the model: see {@link #modelReleased()}.
     */
    @Override
    public void close() {
        close(SHUTDOWN_GRACE);
    }

    /** {@link #close()} with another grace (tests). */
    void close(Duration grace) {
        closing = true;
        // Uploads and predictions already admitted are answered (for at most the grace), then Jetty stops.
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (app != null) {
            app.stop();
        }
        batcher.close(grace);
        explanations.close(grace);
        decoders.shutdown();
        bodies.close();
    }

    /**
     * True once {@link #close()} has stopped every thread that runs the model: only then may the model (its
     * NDManager) be freed. False before, and while a forward pass or an explanation that outlived the close still
     * runs in native code: freeing the model under it could crash the JVM.
     */
    public boolean modelReleased() {
        return closing && batcher.stopped() && explanations.stopped();
    }
}
