package org.densenet4j.serve;

import ai.djl.modality.Classifications;
import com.google.gson.Gson;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.densenet4j.infer.Explainer;
import org.densenet4j.infer.Explanation;
import org.densenet4j.infer.ExplanationPicture;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.NonFiniteOutputException;
import org.densenet4j.infer.Prediction;
import org.eclipse.jetty.http.BadMessageException;
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
 * <p>Every resource a client can hold is bounded, so that no kind or number of clients can starve {@code /health}:
 * {@link #MAX_THREADS} request threads, {@link #MAX_CONNECTIONS} connections, an idle timeout of
 * {@link #IDLE_TIMEOUT_MS} on each, a minimum upload rate of {@link #MIN_UPLOAD_BYTES_PER_SECOND}, and the upload
 * limit counted while the body streams in (chunked or not) over the whole request, multipart fields included.
 */
public final class PredictionServer implements AutoCloseable {

    private static final Gson GSON = new Gson();
    /** Request threads; what a single prediction needs is one, the batcher does the work. */
    static final int MAX_THREADS = 32;
    /** Open connections; beyond them new ones wait in the kernel's backlog until one closes. */
    static final int MAX_CONNECTIONS = 256;
    /** A connection that sends nothing for this long is closed (slow or stalled clients). */
    static final int IDLE_TIMEOUT_MS = 10_000;
    /** A client uploading slower than this is cut off with 408: a trickle cannot hold a thread for long. */
    static final int MIN_UPLOAD_BYTES_PER_SECOND = 8 * 1024;
    /** Uploads read at once; the other threads stay free for /health, /model and the page. */
    static final int MAX_CONCURRENT_UPLOADS = MAX_THREADS - 8;

    private final java.util.concurrent.Semaphore uploads = new java.util.concurrent.Semaphore(MAX_CONCURRENT_UPLOADS);

    private final ModelSpec spec;
    private final Explainer explainer;
    private final String checkpoint;
    private final RequestBatcher batcher;
    private final UploadDecoder decoder;
    private final UploadLimits limits;
    private Javalin app;

    public PredictionServer(
            ImageClassifier classifier,
            Explainer explainer,
            String checkpoint,
            UploadLimits limits,
            int maxBatch,
            long maxDelayMillis) {
        this.spec = classifier.spec();
        this.explainer = explainer;
        this.checkpoint = java.nio.file.Path.of(checkpoint).getFileName().toString();
        this.limits = limits;
        this.decoder = new UploadDecoder(limits);
        this.batcher = new RequestBatcher(classifier, maxBatch, maxDelayMillis);
    }

    /** Starts listening; port 0 picks a free port. Returns the port. */
    public int start(String host, int port) {
        long maxRequest = limits.maxBytes() + (1 << 16); // room for multipart framing around the largest image
        app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.maxRequestSize = maxRequest;
            config.http.prefer405over404 = true;
            config.useVirtualThreads = false;
            config.jetty.threadPool = new QueuedThreadPool(
                    MAX_THREADS,
                    4,
                    60_000,
                    new BlockingArrayQueue<>(4 * MAX_THREADS, 4 * MAX_THREADS, 4 * MAX_THREADS));
            // Multipart uploads are kept in memory (never spooled to disk) and counted over all their fields.
            config.jetty.multipartConfig.maxFileSize(limits.maxBytes(), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(maxRequest, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxInMemoryFileSize(
                    (int) Math.min(Integer.MAX_VALUE, maxRequest), SizeUnit.BYTES);
            config.jetty.modifyHttpConfiguration(http -> http.setMinRequestDataRate(MIN_UPLOAD_BYTES_PER_SECOND));
            config.jetty.modifyServer(server -> {
                server.addBean(new ConnectionLimit(MAX_CONNECTIONS, server));
                server.setErrorHandler(new JsonErrorHandler());
            });
        });
        app.get("/", ctx -> ctx.contentType("text/html; charset=utf-8").result(page()));
        app.get("/health", ctx -> json(ctx, 200, Map.of("status", "ok")));
        app.get("/model", ctx -> json(ctx, 200, modelInfo()));
        app.post("/predict", this::predict);
        app.post("/explain", this::explain);
        app.exception(
                HttpResponseException.class,
                (e, ctx) -> json(
                        ctx,
                        e.getStatus(),
                        Map.of(
                                "error",
                                e.getStatus() == 413
                                        ? "upload exceeds the limit of " + limits.maxBytes() + " bytes"
                                        : e.getMessage())));
        app.exception(Exception.class, (e, ctx) -> json(ctx, 500, Map.of("error", "internal error: " + e)));
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
            topK = Integer.parseInt(ctx.queryParamAsClass("topk", String.class).getOrDefault("5"));
        } catch (NumberFormatException e) {
            json(ctx, 400, Map.of("error", "topk must be an integer"));
            return;
        }
        if (topK < 1) {
            json(ctx, 400, Map.of("error", "topk must be at least 1"));
            return;
        }
        if (!acquireUploadSlot(ctx)) {
            return;
        }
        try {
            byte[] bytes = upload(ctx);
            Classifications c = batcher.submit(decoder.decode(bytes)).get(60, TimeUnit.SECONDS);
            json(ctx, 200, Map.of("predictions", Prediction.topK(c, topK)));
        } catch (BadUploadException e) {
            json(ctx, e.status(), Map.of("error", e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            json(ctx, 503, Map.of("error", "interrupted"));
        } catch (ExecutionException e) {
            json(ctx, 503, Map.of("error", "prediction failed: " + e.getCause().getMessage()));
        } catch (TimeoutException e) {
            json(ctx, 503, Map.of("error", "prediction timed out"));
        } finally {
            uploads.release();
        }
    }

    private void explain(Context ctx) {
        if (explainer == null) {
            json(
                    ctx,
                    501,
                    Map.of(
                            "error",
                            "this model runs as a TorchScript module (an archive, or --precision bf16), which holds "
                                    + "no DenseNet to explain; serve the checkpoint in fp32 to explain"));
            return;
        }
        if (!acquireUploadSlot(ctx)) {
            return;
        }
        try {
            Explainer.Method method;
            int block;
            try {
                method = Explainer.Method.parse(
                        ctx.queryParamAsClass("method", String.class).getOrDefault("cam"));
                String layer = ctx.queryParam("layer");
                block = layer == null ? explainer.blocks() : Integer.parseInt(layer.replaceFirst("^block", ""));
            } catch (IllegalArgumentException e) { // NumberFormatException included
                json(
                        ctx,
                        400,
                        Map.of("error", "method must be cam or gradcam and layer block1..block" + explainer.blocks()));
                return;
            }
            java.awt.image.BufferedImage image = decoder.decode(upload(ctx));
            Explanation e = explainer.explain(
                    image, ctx.queryParamAsClass("class", String.class).getOrDefault("top"), method, block);
            String accept = ctx.header("Accept");
            if (accept != null && accept.contains("application/json")) {
                json(ctx, 200, e.describe(image.getWidth(), image.getHeight()));
                return;
            }
            java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(ExplanationPicture.draw(image, e), "png", png);
            ctx.status(200).contentType("image/png").result(png.toByteArray());
        } catch (BadUploadException e) {
            json(ctx, e.status(), Map.of("error", e.getMessage()));
        } catch (NonFiniteOutputException e) {
            json(ctx, 503, Map.of("error", e.getMessage()));
        } catch (IllegalArgumentException e) { // an unknown class or layer: the message names the valid ones
            json(ctx, 400, Map.of("error", e.getMessage()));
        } catch (IOException e) {
            json(ctx, 500, Map.of("error", "cannot encode the picture: " + e.getMessage()));
        } finally {
            uploads.release();
        }
    }

    /** Takes one of the upload slots, or answers 503 with Retry-After when all are taken. */
    private boolean acquireUploadSlot(Context ctx) {
        if (uploads.tryAcquire()) {
            return true;
        }
        ctx.header("Retry-After", "1");
        json(ctx, 503, Map.of("error", "busy: " + MAX_CONCURRENT_UPLOADS + " uploads are in progress; retry"));
        return false;
    }

    /** The image bytes: multipart field {@code image}, else the raw body. */
    private byte[] upload(Context ctx) throws BadUploadException {
        String type = ctx.contentType() == null ? "" : ctx.contentType();
        if (type.startsWith("multipart/")) {
            UploadedFile file;
            try {
                file = ctx.uploadedFile("image");
            } catch (BadMessageException e) {
                throw new BadUploadException(e.getCode(), "upload refused: " + e.getReason());
            } catch (Exception e) { // Jetty's multipart parser throws IOException undeclared through Kotlin
                String message = String.valueOf(e.getMessage());
                if (message.contains("exceeds") || message.contains("max")) {
                    throw new BadUploadException(413, "upload exceeds the limit of " + limits.maxBytes() + " bytes");
                }
                throw new BadUploadException(400, "malformed multipart upload: " + message);
            }
            if (file == null) {
                throw new BadUploadException(400, "multipart upload without an 'image' field");
            }
            try (InputStream in = file.content()) {
                return readLimited(in);
            } catch (IOException e) {
                throw new BadUploadException(400, "cannot read upload: " + e.getMessage());
            } catch (BadMessageException e) {
                throw new BadUploadException(e.getCode(), "upload refused: " + e.getReason());
            }
        }
        try (InputStream in = ctx.req().getInputStream()) {
            return readLimited(in);
        } catch (IOException e) {
            throw new BadUploadException(400, "cannot read upload: " + e.getMessage());
        } catch (BadMessageException e) { // Jetty's verdict while the body streams in: too slow (408), ...
            throw new BadUploadException(e.getCode(), "upload refused: " + e.getReason());
        }
    }

    /**
     * Reads a body, counting as it streams: a chunked upload (no Content-Length) is cut off at the limit
     * instead of being buffered whole first.
     */
    private byte[] readLimited(InputStream in) throws IOException, BadUploadException {
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, limits.maxBytes() + 1));
        if (bytes.length > limits.maxBytes()) {
            throw new BadUploadException(413, "upload exceeds the limit of " + limits.maxBytes() + " bytes");
        }
        return bytes;
    }

    private Map<String, Object> modelInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", spec.modelName());
        m.put("checkpoint", checkpoint); // the file's name only: the server's folders are not the client's business
        m.put("input", spec.describeInput());
        m.put("classes", spec.classNames());
        m.put("max_upload_bytes", limits.maxBytes());
        m.put("max_pixels", limits.maxPixels());
        return m;
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(GSON.toJson(body));
    }

    private static String page() throws IOException {
        try (InputStream in = PredictionServer.class.getResourceAsStream("/web/index.html")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Stops accepting requests, answers those in flight, then stops the batcher. */
    @Override
    public void close() {
        if (app != null) {
            app.stop();
        }
        batcher.close();
    }
}
