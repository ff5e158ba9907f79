package org.densenet4j.serve;

import ai.djl.modality.Classifications;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Collects concurrent prediction requests into batches: one worker thread takes the first waiting input, waits up
 * to {@code maxDelayMillis} for more (at most {@code maxBatch}), and classifies them in one forward pass. A batch
 * of 1 is the unbatched case.
 *
 * <p>The queue is bounded by a {@link LatencyBudget}: an input is admitted only while the requests ahead of it can
 * be answered within the budget at the measured speed, so under overload requests wait their turn instead of being
 * refused, and only past the budget are they refused ({@link OverloadedException}). The queue holds the model's
 * inputs (a few kilobytes each), never decoded images.
 */
public final class RequestBatcher {

    private record Job(float[] input, CompletableFuture<Classifications> result) {}

    private final Function<List<float[]>, List<Classifications>> classify;
    private final int maxBatch;
    private final long maxDelayMillis;
    private final LatencyBudget budget;
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean running = true;

    /**
     * @param classify one forward pass over a batch of model inputs, answers in input order
     * @param budget admits the requests that may wait; {@link #submit} records the measured speed in it
     */
    RequestBatcher(
            Function<List<float[]>, List<Classifications>> classify,
            int maxBatch,
            long maxDelayMillis,
            LatencyBudget budget) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max batch must be at least 1, got " + maxBatch);
        }
        this.classify = classify;
        this.maxBatch = maxBatch;
        this.maxDelayMillis = maxDelayMillis;
        this.budget = budget;
        this.worker = new Thread(this::loop, "densenet4j-batcher");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /**
     * Runs one full batch of {@code input} through the model before the service opens: it warms the model up, and
     * its time is the latency budget's first measure, so that a burst right after start-up queues instead of being
     * refused for want of a measurement.
     */
    void warmUp(float[] input) {
        List<float[]> inputs = java.util.Collections.nCopies(maxBatch, input);
        long start = System.nanoTime();
        try {
            classify.apply(inputs);
        } catch (RuntimeException e) { // a model answering NaN: each request reports it, the queue keeps its floor
            return;
        }
        budget.record(System.nanoTime() - start, maxBatch);
    }

    /** True if an input submitted now would be admitted: lets a request be refused before its upload is read. */
    boolean hasRoom() {
        return budget.hasRoom();
    }

    /** The refusal for a request that found no room by {@link #hasRoom()}. */
    OverloadedException overloaded() {
        return budget.overloaded("predictions");
    }

    /**
     * Queues a model input; the future completes with its classification.
     *
     * @throws OverloadedException if the queue already holds what the latency budget allows
     */
    CompletableFuture<Classifications> submit(float[] input) throws OverloadedException {
        CompletableFuture<Classifications> f = new CompletableFuture<>();
        if (!running) {
            f.completeExceptionally(new OverloadedException("the service is shutting down", 1));
            return f;
        }
        budget.admit("predictions");
        queue.add(new Job(input, f));
        return f;
    }

    private void loop() {
        while (running || !queue.isEmpty()) {
            List<Job> batch = new ArrayList<>(maxBatch);
            try {
                Job first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxDelayMillis);
                while (batch.size() < maxBatch) {
                    long wait = deadline - System.nanoTime();
                    Job next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
            run(batch);
        }
    }

    private void run(List<Job> batch) {
        if (batch.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        List<Classifications> results;
        try {
            List<float[]> inputs = new ArrayList<>(batch.size());
            for (Job j : batch) {
                inputs.add(j.input());
            }
            results = classify.apply(inputs);
            // The forward pass only: the wait for the batch to fill is not the worker's speed.
            budget.record(System.nanoTime() - start, batch.size());
        } catch (RuntimeException e) {
            for (Job j : batch) {
                budget.release();
                j.result().completeExceptionally(e);
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            budget.release(); // before answering: a client's next request finds its own place free
            batch.get(i).result().complete(results.get(i));
        }
    }

    /**
     * Finishes the queued requests (for at most {@code grace}), then stops the worker. A forward pass that outlives
     * the grace keeps running: see {@link #stopped()}.
     */
    void close(Duration grace) {
        running = false;
        try {
            worker.join(Math.max(1, grace.toMillis())); // join(0) would wait forever
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True once {@link #close} has stopped the worker: no forward pass runs, and none will. */
    boolean stopped() {
        return !running && !worker.isAlive();
    }
}
