package org.densenet4j.spark;

import java.io.Serializable;

/**
 * One partition's share of a step's global batch: the training images by their index in the training split (which
 * seeds their augmentation, as {@code train} seeds it), where they are read and their labels.
 *
 * @param indices each image's index in the training split
 * @param refs where each image is read, on a filesystem every executor sees
 * @param labels each image's class index
 */
record TrainingShard(int[] indices, ImageRef[] refs, int[] labels) implements Serializable {

    int size() {
        return indices.length;
    }
}
