package org.densenet4j.data;

import java.util.List;

/** A view of some images of another dataset, by index. */
public final class SubsetDataset implements ImageDataset {

    private final ImageDataset base;
    private final int[] indices;

    public SubsetDataset(ImageDataset base, int[] indices) {
        this.base = base;
        this.indices = indices.clone();
    }

    /** The dataset this is a view of. */
    public ImageDataset base() {
        return base;
    }

    /** The index in {@link #base()} of this view's image {@code index}. */
    public int baseIndex(int index) {
        return indices[index];
    }

    @Override
    public String source() {
        return base.source();
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public int channels() {
        return base.channels();
    }

    @Override
    public int height() {
        return base.height();
    }

    @Override
    public int width() {
        return base.width();
    }

    @Override
    public ResizeAndCrop resizeAndCrop() {
        return base.resizeAndCrop();
    }

    @Override
    public List<String> classNames() {
        return base.classNames();
    }

    @Override
    public int label(int index) {
        return base.label(indices[index]);
    }

    @Override
    public java.nio.file.Path file(int index) {
        return base.file(indices[index]);
    }

    @Override
    public byte[] pixels(int index) throws UnreadableImageException {
        return base.pixels(indices[index]);
    }

    @Override
    public byte[] augmentedPixels(int index, Augmentation augmentation, java.util.SplittableRandom random)
            throws UnreadableImageException {
        return base.augmentedPixels(indices[index], augmentation, random);
    }
}
