package org.densenet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** More clients than workers: they queue within the latency budget, and only past it get 503 with Retry-After. */
class ServerOverloadTest {

    private static List<HttpResponse<String>> burst(ServerFixture fixture, int clients) throws Exception {
        byte[] png = ServerFixture.png(ServerFixture.sample(0));
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return fixture.post("predict", "image/png", png);
                }));
            }
            go.countDown();
            List<HttpResponse<String>> answers = new ArrayList<>();
            for (Future<HttpResponse<String>> f : futures) {
                answers.add(f.get());
            }
            return answers;
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aBurstOfManyMoreClientsThanWorkersQueuesAndAllAreAnswered() throws Exception {
        // Before, 24 upload slots: the 25th concurrent client got an instant 503.
        try (ServerFixture fixture = new ServerFixture(UploadLimits.defaults(), 4, 30_000)) {
            for (HttpResponse<String> r : burst(fixture, 96)) {
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(r.body().contains("\"predictions\""), r.body());
            }
            assertEquals(200, fixture.get("health").statusCode());
        }
    }

    @Test
    void pastTheLatencyBudgetRequestsGet503WithRetryAfter() throws Exception {
        // A budget of 1 ms holds one request (the batch of 1): the others of a burst cannot be answered within it.
        try (ServerFixture fixture = new ServerFixture(UploadLimits.defaults(), 1, 1)) {
            int refused = 0;
            for (HttpResponse<String> r : burst(fixture, 48)) {
                if (r.statusCode() == 503) {
                    refused++;
                    long retryAfter =
                            Long.parseLong(r.headers().firstValue("Retry-After").orElse("0"));
                    assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);
                    assertTrue(
                            r.body().startsWith("{\"error\"") && r.body().contains("latency budget of 1 ms"), r.body());
                } else {
                    assertEquals(200, r.statusCode(), r.body());
                }
            }
            assertTrue(refused > 0, "48 simultaneous clients with room for one: some must be refused");
            assertEquals(
                    200,
                    fixture.post("predict", "image/png", ServerFixture.png(ServerFixture.sample(1)))
                            .statusCode(),
                    "the queue drains: a later request is answered");
        }
    }
}
