package org.densenet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The explainer's worker: a job that outlives close() is reported running, and finishes. */
class SerialWorkerTest {

    @Test
    void aJobThatOutlivesCloseIsReportedRunningAndFinishes() throws Exception {
        SerialWorker worker = new SerialWorker("explanations", "test-worker", new LatencyBudget(1000, 2, 10));
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            CompletableFuture<String> job = worker.submit(() -> {
                entered.countDown();
                release.await();
                return "explained";
            });
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            assertFalse(worker.stopped(), "a running worker is not stopped");

            worker.close(Duration.ofMillis(50));

            assertFalse(worker.stopped(), "the job still runs past the grace: what it uses must stay open");
            assertThrows(OverloadedException.class, () -> worker.submit(() -> "late"), "closed: no new job");
            release.countDown();
            assertEquals("explained", job.get(10, TimeUnit.SECONDS));
            worker.close(Duration.ofSeconds(10));
            assertTrue(worker.stopped(), "the job ended: the thread stopped");
        } finally {
            release.countDown();
        }
    }

    @Test
    void anIdleWorkerStopsOnClose() {
        SerialWorker worker = new SerialWorker("explanations", "test-worker", new LatencyBudget(1000, 2, 10));
        worker.close(Duration.ofSeconds(10));
        assertTrue(worker.stopped());
    }
}
