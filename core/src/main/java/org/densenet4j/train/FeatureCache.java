package org.densenet4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.NoSuchElementException;
import org.densenet4j.base.MemoryBudget;
import org.densenet4j.data.Batch;
import org.densenet4j.data.BatchLoader;
import org.densenet4j.data.Batches;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.Normalization;
import org.densenet4j.model.DenseNet;

/**
 * The linear probe's fast path: with everything but the classifier frozen and no augmentation, each training image
 * always yields the same pooled features, so they are computed once and every epoch trains the classifier on them
 * (seconds instead of hours for densenet121 at 224 on a CPU). Epochs visit the images in the same order and batches
 * as {@link BatchLoader#training}, so the result is the slow path's.
 */
final class FeatureCache {

    private final float[][] features;
    private final int[] labels;
    private final int dimension;

    private FeatureCache(float[][] features, int[] labels, int dimension) {
        this.features = features;
        this.labels = labels;
        this.dimension = dimension;
    }

    /**
     * Computes the eval-mode pooled features ({@link DenseNet#features}) of every image of {@code data}.
     *
     * @throws org.densenet4j.base.InsufficientMemoryException if they would not fit in the heap
     */
    static FeatureCache compute(
            DenseNet network, ImageDataset data, Normalization normalization, int batchSize, NDManager manager) {
        int dimension = network.head().features();
        MemoryBudget.require(
                (long) data.size() * dimension * Float.BYTES,
                "the features of " + data.size() + " training images (" + dimension + " each) for the linear probe",
                "use fewer training images, or train without freezing the features");
        float[][] features = new float[data.size()][];
        int[] labels = new int[data.size()];
        ParameterStore ps = new ParameterStore(manager, false);
        try (BatchLoader loader = BatchLoader.evaluation(data, batchSize, normalization)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                if (b.count() == 0) {
                    continue;
                }
                // Every array of the batch lives in this scope, so memory stays flat.
                try (NDManager scope = manager.newSubManager()) {
                    NDArray images =
                            scope.create(b.data(), new Shape(b.count(), data.channels(), data.height(), data.width()));
                    NDArray pooled = network.features(ps, images);
                    pooled.attach(scope);
                    float[] flat = pooled.toFloatArray();
                    for (int i = 0; i < b.count(); i++) {
                        features[b.indices()[i]] = Arrays.copyOfRange(flat, i * dimension, (i + 1) * dimension);
                        labels[b.indices()[i]] = b.labels()[i];
                    }
                }
            }
        }
        return new FeatureCache(features, labels, dimension);
    }

    /** Features per image. */
    int dimension() {
        return dimension;
    }

    /** The features of {@code index}, or null for an unreadable image; for tests. */
    float[] features(int index) {
        return features[index];
    }

    /** One training epoch of cached features, (count, dimension) per batch, in the training order. */
    Batches epoch(int batchSize, long seed, int epoch) {
        return new EpochBatches(BatchLoader.trainingOrder(features.length, seed, epoch), batchSize);
    }

    private final class EpochBatches implements Batches {
        private final int[] order;
        private final int batchSize;
        private int next;
        private int skipped;

        EpochBatches(int[] order, int batchSize) {
            this.order = order;
            this.batchSize = batchSize;
        }

        @Override
        public int batchCount() {
            return (order.length + batchSize - 1) / batchSize;
        }

        @Override
        public boolean hasNext() {
            return next < order.length;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            int end = Math.min(order.length, next + batchSize);
            float[] x = new float[(end - next) * dimension];
            int[] y = new int[end - next];
            int[] indices = new int[end - next];
            int n = 0;
            for (int i = next; i < end; i++) {
                float[] f = features[order[i]];
                if (f == null) {
                    continue; // unreadable: reported when the features were computed
                }
                System.arraycopy(f, 0, x, n * dimension, dimension);
                y[n] = labels[order[i]];
                indices[n++] = order[i];
            }
            int bad = end - next - n;
            skipped += bad;
            next = end;
            return new Batch(Arrays.copyOf(x, n * dimension), Arrays.copyOf(y, n), n, bad, Arrays.copyOf(indices, n));
        }

        @Override
        public int skippedImages() {
            return skipped;
        }

        @Override
        public void close() {}
    }
}
