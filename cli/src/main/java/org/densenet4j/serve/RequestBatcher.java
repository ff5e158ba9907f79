package org.densenet4j.serve;

import ai.djl.modality.Classifications;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.densenet4j.infer.ImageClassifier;

/**
 * Collects concurrent prediction requests into batches: one worker thread takes the first waiting
 * image, waits up to {@code maxDelayMillis} for more (at most {@code maxBatch}), and classifies them in
 * one forward pass. A batch of 1 is the unbatched case.
 */
public final class RequestBatcher implements AutoCloseable {

    private record Job(BufferedImage image, CompletableFuture<Classifications> result) {}

    private final ImageClassifier classifier;
    private final int maxBatch;
    private final long maxDelayMillis;
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean running = true;

    public RequestBatcher(ImageClassifier classifier, int maxBatch, long maxDelayMillis) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max batch must be at least 1, got " + maxBatch);
        }
        this.classifier = classifier;
        this.maxBatch = maxBatch;
        this.maxDelayMillis = maxDelayMillis;
        this.worker = new Thread(this::loop, "densenet4j-batcher");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /** Queues an image; the future completes with its classification. */
    public CompletableFuture<Classifications> submit(BufferedImage image) {
        CompletableFuture<Classifications> f = new CompletableFuture<>();
        if (!running) {
            f.completeExceptionally(new IllegalStateException("the service is shutting down"));
            return f;
        }
        queue.add(new Job(image, f));
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
        try {
            List<BufferedImage> images = new ArrayList<>(batch.size());
            for (Job j : batch) {
                images.add(j.image());
            }
            List<Classifications> results = classifier.classify(images);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(results.get(i));
            }
        } catch (RuntimeException e) {
            batch.forEach(j -> j.result().completeExceptionally(e));
        }
    }

    /** Finishes the queued requests, then stops the worker. */
    @Override
    public void close() {
        running = false;
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
