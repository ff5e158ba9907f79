package org.densenet4j.data;

import java.util.Arrays;
import java.util.List;

/** Images held in one byte array, as IDX and CIFAR files store them. */
public final class InMemoryDataset extends LabelledImages {

    private final byte[] pixels;

    /**
     * @param pixels all images back to back, each channels*height*width bytes in CHW order
     * @param labels one label per image, each in [0, classNames.size())
     */
    public InMemoryDataset(
            String source, int channels, int height, int width, byte[] pixels, int[] labels, List<String> classNames) {
        super(source, channels, height, width, labels, classNames);
        long imageSize = (long) channels * height * width;
        if (imageSize * labels.length != pixels.length) {
            throw new IllegalArgumentException(source + ": " + pixels.length + " pixel bytes for " + labels.length
                    + " images of " + channels + "x" + height + "x" + width);
        }
        this.pixels = pixels;
    }

    @Override
    public byte[] pixels(int index) {
        int imageSize = imageSize();
        return Arrays.copyOfRange(pixels, index * imageSize, (index + 1) * imageSize);
    }
}
