package org.densenet4j.data;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares batches (decode, augment, normalise) on background threads, a few batches ahead of the
 * training thread, so that the cores stay on the model.
 *
 * <p>Every random choice derives from (seed, epoch, image index): the batches are the same whatever
 * the thread timing, and a resumed run sees exactly the batches an uninterrupted run would.
 */
public final class BatchLoader implements Batches {

    private static final Logger LOG = LoggerFactory.getLogger(BatchLoader.class);
    private static final int PREFETCH = 3;

    private final ImageDataset data;
    private final int[] order;
    private final int batchSize;
    private final Normalization normalization;
    private final Augmentation augmentation;
    private final long seed;
    private final ExecutorService workers;
    private final Deque<Future<Batch>> pending = new ArrayDeque<>();
    private final AtomicInteger skipped = new AtomicInteger();
    private int nextStart;

    private BatchLoader(
            ImageDataset data,
            int[] order,
            int batchSize,
            Normalization normalization,
            Augmentation augmentation,
            long seed) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.data = data;
        this.order = order;
        this.batchSize = batchSize;
        this.normalization = normalization;
        this.augmentation = augmentation;
        this.seed = seed;
        this.workers = Executors.newFixedThreadPool(1, r -> {
            Thread t = new Thread(r, "densenet4j-batch-loader");
            t.setDaemon(true);
            return t;
        });
        while (pending.size() < PREFETCH && nextStart < order.length) {
            submitNext();
        }
    }

    /** One training epoch: shuffled by (seed, epoch), augmented if {@code augmentation} is not null. */
    public static BatchLoader training(
            ImageDataset data,
            int batchSize,
            Normalization normalization,
            Augmentation augmentation,
            long seed,
            int epoch) {
        return new BatchLoader(
                data,
                trainingOrder(data.size(), seed, epoch),
                batchSize,
                normalization,
                augmentation,
                Seeds.mix(seed, epoch));
    }

    /** The order a training epoch visits {@code size} images in: shuffled by (seed, epoch). */
    public static int[] trainingOrder(int size, long seed, int epoch) {
        return Seeds.shuffledIndices(size, new SplittableRandom(Seeds.mix(seed, epoch)));
    }

    /** All images in order, without augmentation, for evaluation. */
    public static BatchLoader evaluation(ImageDataset data, int batchSize, Normalization normalization) {
        int[] order = new int[data.size()];
        Arrays.setAll(order, i -> i);
        return new BatchLoader(data, order, batchSize, normalization, null, 0);
    }

    public int batchCount() {
        return (order.length + batchSize - 1) / batchSize;
    }

    public boolean hasNext() {
        return !pending.isEmpty();
    }

    /** The next batch, waiting for it if the workers are behind. */
    public Batch next() {
        Future<Batch> f = pending.poll();
        if (f == null) {
            throw new NoSuchElementException("no more batches");
        }
        if (nextStart < order.length) {
            submitNext();
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading a batch", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause.getMessage(), cause);
        }
    }

    /** Unreadable images skipped so far. */
    public int skippedImages() {
        return skipped.get();
    }

    private void submitNext() {
        int start = nextStart;
        int end = Math.min(order.length, start + batchSize);
        nextStart = end;
        pending.add(workers.submit(() -> prepare(start, end)));
    }

    private Batch prepare(int start, int end) {
        int imageSize = data.channels() * data.height() * data.width();
        float[] x = new float[(end - start) * imageSize];
        int[] y = new int[end - start];
        int[] indices = new int[end - start];
        int n = 0;
        int bad = 0;
        for (int i = start; i < end; i++) {
            int index = order[i];
            byte[] pixels;
            try {
                pixels = augmentation == null
                        ? data.pixels(index)
                        : data.augmentedPixels(index, augmentation, new SplittableRandom(Seeds.mix(seed, index)));
            } catch (UnreadableImageException e) {
                LOG.warn("skipping unreadable image: {}", e.getMessage());
                bad++;
                continue;
            }
            normalization.apply(pixels, x, n * imageSize);
            indices[n] = index;
            y[n++] = data.label(index);
        }
        skipped.addAndGet(bad);
        if (n < end - start) {
            x = Arrays.copyOf(x, n * imageSize);
            y = Arrays.copyOf(y, n);
            indices = Arrays.copyOf(indices, n);
        }
        return new Batch(x, y, n, bad, indices);
    }

    @Override
    public void close() {
        pending.forEach(f -> f.cancel(true));
        pending.clear();
        workers.shutdownNow();
    }
}
