package org.densenet4j.data;

/** One pass of batches, for a training epoch or an evaluation; close it to stop early. */
public interface Batches extends AutoCloseable {

    int batchCount();

    boolean hasNext();

    Batch next();

    /** Unreadable images left out so far. */
    int skippedImages();

    @Override
    void close();
}
