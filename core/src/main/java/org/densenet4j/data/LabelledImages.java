package org.densenet4j.data;

import java.util.List;

/**
 * What every dataset that owns its images has: where they come from, their fixed size, the class names and
 * one label per image. Subclasses say how to get an image's pixels (here, or in other modules: the Spark jobs'
 * table rows).
 */
public abstract class LabelledImages implements ImageDataset {

    private final String source;
    private final int channels;
    private final int height;
    private final int width;
    private final int[] labels;
    private final List<String> classNames;

    /**
     * @param source where the images come from, for messages
     * @param labels one class per image, indexing {@code classNames} (kept, not copied)
     */
    protected LabelledImages(
            String source, int channels, int height, int width, int[] labels, List<String> classNames) {
        this.source = source;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    /** Bytes in one image: channels * height * width. */
    protected int imageSize() {
        return channels * height * width;
    }
}
