package org.densenet4j.serve;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.script.Int8Model;
import org.densenet4j.zoo.BundledModel;

/** A running server on a free loopback port, serving the bundled Fashion-MNIST model. */
final class ServerFixture implements AutoCloseable {

    static final Path BUNDLED = Path.of("..", "models").resolve(BundledModel.NAME);

    final NDManager manager = NDManager.newBaseManager();
    final ImageClassifier classifier;
    final org.densenet4j.infer.Explainer explainer;
    final PredictionServer server;
    final URI base;
    final HttpClient http = HttpClient.newHttpClient();

    ServerFixture(UploadLimits limits, int maxBatch) throws IOException {
        this(limits, maxBatch, 2000);
    }

    ServerFixture(UploadLimits limits, int maxBatch, long maxQueueLatencyMillis) throws IOException {
        this(limits, maxBatch, maxQueueLatencyMillis, false);
    }

    /**
     * With {@code int8}, the bundled model compiled in int8 with the calibration it ships with, explained by CAM
     * alone, as {@code serve --precision int8} serves it.
     */
    ServerFixture(UploadLimits limits, int maxBatch, long maxQueueLatencyMillis, boolean int8) throws IOException {
        if (int8) {
            Int8Model model = ModelFiles.openInt8(BUNDLED, ModelFiles.Options.none(), null, manager, w -> {});
            classifier = new ImageClassifier(model, manager);
            explainer =
                    org.densenet4j.infer.Explainer.camOnly(model.spec(), model::logitsAndClassActivationMaps, manager);
        } else {
            TrainedModel loaded = ModelFiles.open(BUNDLED, manager);
            classifier = new ImageClassifier(loaded.network(), loaded.spec(), manager);
            explainer = new org.densenet4j.infer.Explainer(loaded.network(), loaded.spec(), manager);
        }
        server = new PredictionServer(
                classifier, explainer, BUNDLED.toString(), limits, maxBatch, 20, maxQueueLatencyMillis);
        base = URI.create("http://127.0.0.1:" + server.start("127.0.0.1", 0) + "/");
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(base.resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String contentType, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> postMultipart(String field, String fileName, byte[] content)
            throws IOException, InterruptedException {
        String boundary = "densenet4jBoundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\""
                        + fileName + "\"\r\nContent-Type: image/png\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return post("predict", "multipart/form-data; boundary=" + boundary, body.toByteArray());
    }

    static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /**
     * A black 8-bit grey PNG of any size, written row by row without holding the image: a 1 x 16,000,000 strip is a
     * 31 KB file.
     */
    static byte[] blankPng(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        java.nio.ByteBuffer header =
                java.nio.ByteBuffer.allocate(13).putInt(width).putInt(height);
        header.put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0); // 8-bit grey, no interlace
        chunk(out, "IHDR", header.array());
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream z =
                new java.util.zip.DeflaterOutputStream(idat, new java.util.zip.Deflater(9))) {
            byte[] row = new byte[1 + width]; // filter byte 0, then the row's zero pixels
            for (int y = 0; y < height; y++) {
                z.write(row);
            }
        }
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(name);
        out.writeBytes(data);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(name);
        crc.update(data);
        out.writeBytes(
                java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** A grey 28x28 image with a bright rectangle, shaped a little like a trouser leg. */
    static BufferedImage sample(int shift) {
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 2; y < 26; y++) {
            for (int x = 8 + shift; x < 20 - shift; x++) {
                img.getRaster().setSample(x, y, 0, 200);
            }
        }
        return img;
    }

    @Override
    public void close() {
        server.close();
        if (server.modelReleased()) { // as serve does: never free the model under a running request
            manager.close();
        }
    }
}
