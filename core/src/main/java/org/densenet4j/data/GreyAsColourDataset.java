package org.densenet4j.data;

import java.util.List;

/**
 * A grey dataset seen by a colour model: each image's one channel repeated as R, G and B, as torchvision's
 * {@code Grayscale(num_output_channels=3)} does for pretrained ImageNet models.
 */
final class GreyAsColourDataset implements ImageDataset {

    private final ImageDataset grey;

    GreyAsColourDataset(ImageDataset grey) {
        this.grey = grey;
    }

    @Override
    public String source() {
        return grey.source() + " (grey as RGB)";
    }

    @Override
    public int size() {
        return grey.size();
    }

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public int height() {
        return grey.height();
    }

    @Override
    public int width() {
        return grey.width();
    }

    @Override
    public ResizeAndCrop resizeAndCrop() {
        return grey.resizeAndCrop();
    }

    @Override
    public List<String> classNames() {
        return grey.classNames();
    }

    @Override
    public int label(int index) {
        return grey.label(index);
    }

    @Override
    public byte[] pixels(int index) throws UnreadableImageException {
        return asColour(grey.pixels(index));
    }

    @Override
    public byte[] augmentedPixels(int index, Augmentation augmentation, java.util.SplittableRandom random)
            throws UnreadableImageException {
        return asColour(grey.augmentedPixels(index, augmentation, random));
    }

    private static byte[] asColour(byte[] one) {
        byte[] three = new byte[3 * one.length];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(one, 0, three, c * one.length, one.length);
        }
        return three;
    }
}
