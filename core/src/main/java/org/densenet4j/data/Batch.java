package org.densenet4j.data;

/**
 * One prepared batch: normalised NCHW floats and their labels.
 *
 * @param data {@code count} images of channels*height*width floats
 * @param labels one label per image
 * @param count images in the batch (unreadable ones are left out)
 * @param skipped unreadable images left out of this batch
 * @param indices each image's index in its dataset
 */
public record Batch(float[] data, int[] labels, int count, int skipped, int[] indices) {}
