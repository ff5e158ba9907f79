package org.densenet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.densenet4j.infer.Explainer;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.FoldedDenseNet;
import org.junit.jupiter.api.Test;

/**
 * Shutting the server down never frees the model under a request: a request that outlives close() keeps the model
 * open ({@link PredictionServer#modelReleased()} false), and finishes on it.
 */
class ServerShutdownTest {

    private static final UploadLimits LIMITS = new UploadLimits(200_000, 1_000_000, 4096);

    @Test
    void anExplanationThatOutlivesCloseKeepsTheModelOpenAndFinishesOnIt() throws Exception {
        NDManager manager = NDManager.newBaseManager();
        TrainedModel loaded = ModelFiles.open(ServerFixture.BUNDLED, manager);
        Explainer.ClassActivationMaps cam = FoldedDenseNet.of(loaded.network(), manager)::logitsAndClassActivationMaps;
        AtomicBoolean warmedUp = new AtomicBoolean();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<long[]> finished = new CompletableFuture<>();
        // The warm-up passes; the request's explanation waits for the test, then runs the real network.
        Explainer slow = Explainer.camOnly(
                loaded.spec(),
                images -> {
                    if (!warmedUp.getAndSet(true)) {
                        return cam.logitsAndMaps(images);
                    }
                    entered.countDown();
                    try {
                        release.await();
                        NDList both = cam.logitsAndMaps(images);
                        finished.complete(both.get(1).getShape().getShape());
                        return both;
                    } catch (InterruptedException | RuntimeException e) {
                        finished.completeExceptionally(e);
                        throw new IllegalStateException(e);
                    }
                },
                manager);
        PredictionServer server = new PredictionServer(
                new ImageClassifier(loaded.network(), loaded.spec(), manager), slow, "slow.d4j", LIMITS, 1, 0, 2000);
        try {
            URI base = URI.create("http://127.0.0.1:" + server.start("127.0.0.1", 0) + "/");
            HttpClient.newHttpClient()
                    .sendAsync(
                            HttpRequest.newBuilder(base.resolve("explain"))
                                    .header("Content-Type", "image/png")
                                    .header("Accept", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(
                                            ServerFixture.png(ServerFixture.sample(0))))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding()); // its answer is lost with Jetty: not the point
            assertTrue(entered.await(60, TimeUnit.SECONDS), "the explanation never reached the model");

            server.close(Duration.ofMillis(200));

            assertFalse(server.modelReleased(), "an explanation still runs on the model: it must not be freed");
            assertFalse(finished.isDone(), "the explanation was still waiting while close() returned");
            release.countDown();
            long[] mapShape = finished.get(60, TimeUnit.SECONDS);
            assertEquals(loaded.spec().classNames().size(), mapShape[1], "the model answered after close()");
            assertTrue(released(server), "once the explanation ended, its worker stopped");
        } finally {
            release.countDown();
            if (released(server)) { // as serve does: never free the model under a running request
                manager.close();
            }
        }
    }

    /** Waits (at most a minute) for the server's workers to stop after close(). */
    static boolean released(PredictionServer server) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!server.modelReleased() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return server.modelReleased();
    }

    @Test
    void anIdleServerReleasesTheModelOnClose() throws Exception {
        ServerFixture idle = new ServerFixture(LIMITS, 2);
        try {
            assertFalse(idle.server.modelReleased(), "a running server uses its model");
            HttpResponse<String> r = idle.post("predict", "image/png", ServerFixture.png(ServerFixture.sample(0)));
            assertEquals(200, r.statusCode(), r.body());
        } finally {
            idle.close();
        }
        assertTrue(idle.server.modelReleased(), "no request in flight: close() stopped every worker");
        assertFalse(idle.manager.isOpen(), "and the model was freed");
    }
}
