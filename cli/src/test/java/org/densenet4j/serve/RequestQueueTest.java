package org.densenet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Classifications;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The prediction queue's admission: capacity from the latency budget and the measured speed, refusal past it. */
class RequestQueueTest {

    @Test
    void capacityIsTheBudgetOverTheMeasuredTimePerRequestWithinFloorAndCeiling() throws Exception {
        LatencyBudget budget = new LatencyBudget(100, 2, 50);
        assertEquals(2, budget.capacity(), "before any measurement: the floor");
        budget.record(TimeUnit.MILLISECONDS.toNanos(40), 4); // 10 ms a request
        assertEquals(10, budget.capacity());
        for (int i = 0; i < 10; i++) {
            budget.admit("predictions");
        }
        assertTrue(!budget.hasRoom());
        OverloadedException refused = assertThrows(OverloadedException.class, () -> budget.admit("predictions"));
        assertTrue(refused.getMessage().contains("10 predictions are waiting"), refused.getMessage());
        assertTrue(refused.getMessage().contains("latency budget of 100 ms"), refused.getMessage());
        assertEquals(1, refused.retryAfterSeconds(), "10 waiting x 10 ms drain in well under a second");
        budget.release();
        budget.admit("predictions");
        LatencyBudget fast = new LatencyBudget(100, 2, 50);
        fast.record(1, 1000);
        assertEquals(50, fast.capacity(), "a very fast worker: the ceiling");
        budget.record(TimeUnit.MILLISECONDS.toNanos(20), 1); // moving average: 10 + 0.2 x (20 - 10) = 12 ms
        assertEquals(8, budget.capacity());
        LatencyBudget slow = new LatencyBudget(100, 2, 50);
        slow.record(TimeUnit.SECONDS.toNanos(1), 1);
        assertEquals(2, slow.capacity(), "a worker slower than the budget: the floor");
    }

    @Test
    void requestsBeyondTheWorkerQueueUpToTheCapacityAndAreAllAnswered() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        LatencyBudget budget = new LatencyBudget(1000, 4, 100);
        budget.record(TimeUnit.MILLISECONDS.toNanos(100), 1); // capacity 10
        RequestBatcher batcher = new RequestBatcher(
                inputs -> {
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    List<Classifications> out = new ArrayList<>();
                    for (float[] in : inputs) {
                        out.add(new Classifications(List.of("a", "b"), List.of((double) in[0], 1.0 - in[0])));
                    }
                    return out;
                },
                2,
                0,
                budget);
        try {
            List<CompletableFuture<Classifications>> admitted = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                admitted.add(batcher.submit(new float[] {0.25f}));
            }
            assertTrue(!batcher.hasRoom());
            assertThrows(OverloadedException.class, () -> batcher.submit(new float[] {0.25f}));
            gate.countDown();
            for (CompletableFuture<Classifications> f : admitted) {
                assertEquals("b", f.get(10, TimeUnit.SECONDS).best().getClassName());
            }
            assertEquals(0, budget.pending(), "every answered request leaves the queue");
            assertTrue(batcher.hasRoom());
        } finally {
            gate.countDown();
            batcher.close(PredictionServer.SHUTDOWN_GRACE);
        }
    }

    @Test
    void aForwardPassThatOutlivesCloseIsReportedRunningAndFinishes() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RequestBatcher batcher = new RequestBatcher(
                inputs -> {
                    entered.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return List.of(new Classifications(List.of("a", "b"), List.of(0.75, 0.25)));
                },
                1,
                0,
                new LatencyBudget(1000, 2, 10));
        try {
            CompletableFuture<Classifications> answer = batcher.submit(new float[] {0.75f});
            assertTrue(entered.await(10, TimeUnit.SECONDS));

            batcher.close(Duration.ofMillis(50));

            assertFalse(batcher.stopped(), "the forward pass still runs past the grace: the model must stay open");
            release.countDown();
            assertEquals("a", answer.get(10, TimeUnit.SECONDS).best().getClassName());
            batcher.close(Duration.ofSeconds(10));
            assertTrue(batcher.stopped(), "the forward pass ended: the worker stopped");
        } finally {
            release.countDown();
            batcher.close(PredictionServer.SHUTDOWN_GRACE);
        }
    }
}
