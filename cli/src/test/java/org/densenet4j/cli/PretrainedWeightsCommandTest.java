package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.Presets;
import org.densenet4j.pretrained.ImageNetClasses;
import org.densenet4j.torch.TorchFileWriter;
import org.densenet4j.torch.TorchLayout;
import org.densenet4j.torch.TorchWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --model densenet121 --weights imagenet} end to end, with a registry file (DENSENET4J_PRETRAINED, given as
 * the system property of the same name) pointing at a local server: the first run downloads, the second makes no
 * request, a tampered file is refused, and without the server the error names the URL and the manual step.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PretrainedWeightsCommandTest {

    private static final String PHOTO = "../core/src/test/resources/resize-fixtures/china.png";
    private static final List<String> SETTINGS = List.of("DENSENET4J_PRETRAINED", "DENSENET4J_CACHE", "TORCH_HOME");

    @TempDir
    static Path tmp;

    private static HttpServer server;
    private static final AtomicInteger requests = new AtomicInteger();
    private static String fileName;

    @BeforeAll
    static void serve() throws Exception {
        // Where libtorch's oneDNN misreads the CPU's caches it computes wrong convolutions and dies of SIGFPE planning
        // densenet121's (ConvolutionSelfCheck): nothing of densenet121's can be checked there.
        java.util.Optional<String> broken = org.densenet4j.infer.ConvolutionSelfCheck.failure();
        org.junit.jupiter.api.Assumptions.assumeTrue(broken.isEmpty(), () -> broken.orElse(""));
        byte[] weights;
        Path pth = tmp.resolve("weights.pth");
        try (NDManager manager = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(Presets.named("densenet121").config(1000));
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 224, 224));
            TorchFileWriter.write(TorchWeights.stateDict(net, TorchLayout.TORCHVISION), pth);
            weights = Files.readAllBytes(pth);
        }
        String digest =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights));
        fileName = "densenet121-" + digest.substring(0, 8) + ".pth";
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/models/" + fileName, exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(200, weights.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(weights);
            }
        });
        server.start();
        Path registry = tmp.resolve("mirror.json");
        Files.writeString(
                registry,
                "{\"weights\": [{\"model\": \"densenet121\", \"name\": \"imagenet\", \"url\": "
                        + "\"" + url() + "\", \"sha256\": \"" + digest.substring(0, 16)
                        + "\", \"layout\": \"torchvision\", "
                        + "\"classes\": \"imagenet-1k\", \"top1\": 74.434, \"top5\": 91.972}]}");
        System.setProperty("DENSENET4J_PRETRAINED", registry.toString());
        System.setProperty("DENSENET4J_CACHE", tmp.resolve("cache").toString());
        System.setProperty("TORCH_HOME", tmp.resolve("torch").toString());
    }

    private static String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/models/" + fileName;
    }

    @AfterAll
    static void stop() {
        if (server != null) { // null when the tests were skipped on this machine
            server.stop(0);
        }
        SETTINGS.forEach(System::clearProperty);
    }

    @Test
    @Order(1)
    @SuppressWarnings("unchecked")
    void predictsWithImageNetNamesAndTheSecondRunMakesNoRequest() {
        CliRunner first = CliRunner.run(
                "predict", "--model", "densenet121", "--weights", "imagenet", "--topk", "5", "--json", PHOTO);
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(
                first.err()
                        .contains("densenet121:imagenet: 1000 classes (imagenet-1k), Resize(256) + "
                                + "CenterCrop(224); reported accuracy top-1 74.434%, top-5 91.972%"),
                first.err());
        Map<String, Object> json = new Gson().fromJson(first.out(), Map.class);
        List<Map<String, Object>> top = (List<Map<String, Object>>)
                ((List<Map<String, Object>>) json.get("predictions")).get(0).get("top");
        assertEquals(5, top.size());
        for (Map<String, Object> t : top) {
            assertTrue(ImageNetClasses.names().contains((String) t.get("label")), t.toString());
        }
        assertEquals(1, requests.get());
        CliRunner second = CliRunner.run("predict", "--model", "densenet121", "--weights", "imagenet", PHOTO);
        assertEquals(0, second.exitCode(), second.err());
        assertEquals(1, requests.get(), "a cache hit makes no request");
        assertTrue(Files.isRegularFile(tmp.resolve("cache").resolve(fileName)));
    }

    @Test
    @Order(2)
    void listsTheRegistryAndWhatIsCached() {
        CliRunner r = CliRunner.run("weights");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("densenet121:imagenet"), r.out());
        assertTrue(r.out().contains("cached: " + tmp.resolve("cache").resolve(fileName)), r.out());
        assertTrue(r.out().contains("densenet161:imagenet     densenet161-8d451a50.pth     not cached"), r.out());
    }

    @Test
    @Order(3)
    void refusesATamperedFile() throws IOException {
        Path cached = tmp.resolve("cache").resolve(fileName);
        byte[] bytes = Files.readAllBytes(cached);
        bytes[bytes.length / 2] ^= 1;
        Files.write(cached, bytes);
        CliRunner r = CliRunner.run("predict", "--model", "densenet121", "--weights", "imagenet", PHOTO);
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains(cached + " is not densenet121:imagenet's published file"), r.err());
        assertTrue(Files.notExists(cached));
    }

    @Test
    @Order(4)
    void withoutTheServerNamesTheUrlAndTheManualStep() {
        server.stop(0);
        CliRunner r = CliRunner.run("weights", "fetch", "densenet121");
        assertEquals(1, r.exitCode());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(url() + ": cannot download: connection refused"), r.err());
        assertTrue(r.err().contains("put " + fileName + " (from " + url() + ") in " + tmp.resolve("cache")), r.err());
    }

    @Test
    void aPretrainedNameNeedsItsModel() {
        CliRunner r = CliRunner.run("predict", "--weights", "imagenet", PHOTO);
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--weights imagenet needs --model: one of densenet121, densenet161"), r.err());
    }

    @Test
    void theBundledModelSuggestsImageNetWeightsForAPhoto() {
        CliRunner r = CliRunner.run("predict", PHOTO);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("for photos, try --model densenet121 --weights imagenet"), r.err());
        CliRunner grey = CliRunner.run("predict", "../models/fashion-mnist/samples/test-0.png");
        assertTrue(!grey.err().contains("--weights imagenet"), grey.err());
    }
}
