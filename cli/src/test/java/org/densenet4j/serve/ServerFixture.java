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
        TrainedModel loaded = ModelFiles.open(BUNDLED, manager);
        classifier = new ImageClassifier(loaded.network(), loaded.spec(), manager);
        explainer = new org.densenet4j.infer.Explainer(loaded.network(), loaded.spec(), manager);
        server = new PredictionServer(classifier, explainer, BUNDLED.toString(), limits, maxBatch, 20, 2000);
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
        manager.close();
    }
}
