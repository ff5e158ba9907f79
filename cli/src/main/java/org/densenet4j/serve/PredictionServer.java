package org.densenet4j.serve;

import ai.djl.modality.Classifications;
import com.google.gson.Gson;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.ModelSpec;

/**
 * The HTTP service.
 *
 * <ul>
 *   <li>{@code POST /predict?topk=K}: an image as the raw body or multipart field {@code image}; answers
 *       {@code {"predictions": [{"label", "probability"}...]}};
 *   <li>{@code GET /health}, {@code GET /model}: liveness and what model is served;
 *   <li>{@code GET /}: a page where a person drops or picks an image and sees a bar chart.
 * </ul>
 *
 * Bad uploads get a 4xx answer with {@code {"error": "..."}}.
 */
public final class PredictionServer implements AutoCloseable {

    private static final Gson GSON = new Gson();

    private final ModelSpec spec;
    private final String checkpoint;
    private final RequestBatcher batcher;
    private final UploadDecoder decoder;
    private final UploadLimits limits;
    private Javalin app;

    public PredictionServer(ImageClassifier classifier, String checkpoint, UploadLimits limits, int maxBatch,
            long maxDelayMillis) {
        this.spec = classifier.spec();
        this.checkpoint = checkpoint;
        this.limits = limits;
        this.decoder = new UploadDecoder(limits);
        this.batcher = new RequestBatcher(classifier, maxBatch, maxDelayMillis);
    }

    /** Starts listening; port 0 picks a free port. Returns the port. */
    public int start(String host, int port) {
        app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            // Room for multipart framing around the largest accepted image.
            config.http.maxRequestSize = limits.maxBytes() + (1 << 16);
            config.useVirtualThreads = false;
        });
        app.get("/", ctx -> ctx.contentType("text/html; charset=utf-8").result(page()));
        app.get("/health", ctx -> json(ctx, 200, Map.of("status", "ok")));
        app.get("/model", ctx -> json(ctx, 200, modelInfo()));
        app.post("/predict", this::predict);
        app.exception(HttpResponseException.class, (e, ctx) -> json(ctx, e.getStatus(), Map.of("error",
                e.getStatus() == 413 ? "upload exceeds the limit of " + limits.maxBytes() + " bytes" : e.getMessage())));
        app.exception(Exception.class, (e, ctx) -> json(ctx, 500, Map.of("error", "internal error: " + e)));
        app.start(host, port);
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
        try {
            byte[] bytes = upload(ctx);
            Classifications c = batcher.submit(decoder.decode(bytes)).get(60, TimeUnit.SECONDS);
            List<Map<String, Object>> top = new ArrayList<>();
            for (Classifications.Classification item : c.topK(Math.min(topK, spec.classNames().size()))) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("label", item.getClassName());
                m.put("probability", item.getProbability());
                top.add(m);
            }
            json(ctx, 200, Map.of("predictions", top));
        } catch (BadUploadException e) {
            json(ctx, e.status(), Map.of("error", e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            json(ctx, 503, Map.of("error", "interrupted"));
        } catch (ExecutionException | TimeoutException e) {
            json(ctx, 503, Map.of("error", "prediction failed: " + e.getMessage()));
        }
    }

    /** The image bytes: multipart field {@code image}, else the raw body. */
    private byte[] upload(Context ctx) throws BadUploadException {
        String type = ctx.contentType() == null ? "" : ctx.contentType();
        if (type.startsWith("multipart/")) {
            UploadedFile file;
            try {
                file = ctx.uploadedFile("image");
            } catch (Exception e) { // Jetty's multipart parser throws IOException undeclared through Kotlin

                throw new BadUploadException(400, "malformed multipart upload: " + e.getMessage());
            }
            if (file == null) {
                throw new BadUploadException(400, "multipart upload without an 'image' field");
            }
            try (InputStream in = file.content()) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new BadUploadException(400, "cannot read upload: " + e.getMessage());
            }
        }
        return ctx.bodyAsBytes();
    }

    private Map<String, Object> modelInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", spec.modelName());
        m.put("checkpoint", checkpoint);
        m.put("input", Map.of("channels", spec.channels(), "height", spec.height(), "width", spec.width()));
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
