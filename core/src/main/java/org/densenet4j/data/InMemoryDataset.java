package org.densenet4j.data;

import java.util.Arrays;
import java.util.List;

/** Images held in one byte array, as IDX and CIFAR files store them. */
public final class InMemoryDataset implements ImageDataset {

    private final String source;
    private final int channels;
    private final int height;
    private final int width;
    private final byte[] pixels;
    private final int[] labels;
    private final List<String> classNames;

    /**
     * @param pixels all images back to back, each channels*height*width bytes in CHW order
     * @param labels one label per image, each in [0, classNames.size())
     */
    public InMemoryDataset(String source, int channels, int height, int width, byte[] pixels, int[] labels,
            List<String> classNames) {
        long imageSize = (long) channels * height * width;
        if (imageSize * labels.length != pixels.length) {
            throw new IllegalArgumentException(source + ": " + pixels.length + " pixel bytes for "
                    + labels.length + " images of " + channels + "x" + height + "x" + width);
        }
        this.source = source;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
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

    @Override
    public byte[] pixels(int index) {
        int imageSize = channels * height * width;
        return Arrays.copyOfRange(pixels, index * imageSize, (index + 1) * imageSize);
    }
}
