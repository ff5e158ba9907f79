package org.densenet4j.infer;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Classifies a stream of items (files, table rows) in batches: each is decoded, one that cannot be decoded is
 * reported and skipped, and each full batch goes through one forward pass. The loop of predict and Spark.
 *
 * @param <T> what an item is
 * @param <R> what the forward pass answers per image (classifications, features)
 */
public final class BatchClassification<T, R> {

    /** Turns an item into an image; failing is normal for unreadable input. */
    @FunctionalInterface
    public interface Decoder<T> {
        BufferedImage decode(T item) throws IOException;
    }

    /** Hears the outcome of each item, in input order within a batch. */
    public interface Results<T, R> {
        void classified(T item, R result);

        void skipped(T item, Exception problem);
    }

    private final Function<List<BufferedImage>, List<R>> classify;
    private final int batchSize;

    /**
     * @param classify one forward pass over a batch, such as {@link ImageClassifier#classify(List)}
     * @param batchSize images per forward pass
     */
    public BatchClassification(Function<List<BufferedImage>, List<R>> classify, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        this.classify = classify;
        this.batchSize = batchSize;
    }

    /**
     * Classifies every item, or stops before a batch when {@code stop} turns true.
     *
     * @return true if every item was handled, false if stopped
     */
    public boolean run(Iterator<T> items, Decoder<T> decoder, Results<T, R> results, BooleanSupplier stop) {
        List<T> batch = new ArrayList<>(batchSize);
        List<BufferedImage> images = new ArrayList<>(batchSize);
        while (items.hasNext()) {
            if (images.isEmpty() && stop.getAsBoolean()) {
                return false;
            }
            T item = items.next();
            try {
                images.add(decoder.decode(item));
                batch.add(item);
            } catch (IOException | RuntimeException e) {
                results.skipped(item, e);
            }
            if (images.size() == batchSize) {
                flush(batch, images, results);
            }
        }
        flush(batch, images, results);
        return true;
    }

    private void flush(List<T> batch, List<BufferedImage> images, Results<T, R> results) {
        if (images.isEmpty()) {
            return;
        }
        List<R> answers = classify.apply(images);
        for (int i = 0; i < batch.size(); i++) {
            results.classified(batch.get(i), answers.get(i));
        }
        batch.clear();
        images.clear();
    }
}
