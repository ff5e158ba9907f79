package org.densenet4j.data;

import java.util.List;

/**
 * Labelled images of one fixed size, as 8-bit pixels in CHW order.
 *
 * <p>Implementations are safe to read from several threads at once: the batch loader decodes in
 * parallel.
 */
public interface ImageDataset {

    /** Where the images come from, for messages. */
    String source();

    int size();

    /** 1 for grey, 3 for RGB. */
    int channels();

    int height();

    int width();

    /** Class names, indexed by label. */
    List<String> classNames();

    /** The label of image {@code index}, in [0, classNames().size()). */
    int label(int index);

    /**
     * The pixels of image {@code index}: channels*height*width bytes, CHW order, unsigned.
     *
     * @throws UnreadableImageException if this one image cannot be decoded
     */
    byte[] pixels(int index) throws UnreadableImageException;

    /**
     * The file image {@code index} is read from, or null when images do not come one per file (for jobs that read
     * the files elsewhere, such as Spark's executors).
     */
    default java.nio.file.Path file(int index) {
        return null;
    }

    default int classCount() {
        return classNames().size();
    }

    /**
     * How this dataset turns image files of any size into its images: resized and center-cropped as torchvision's
     * ImageNet pipeline does, or null when they are squashed to the dataset's size (or come at that size). A model
     * trained on the dataset records it, so that predictions see images prepared the same way.
     */
    default ResizeAndCrop resizeAndCrop() {
        return null;
    }

    /**
     * Image {@code index} as an augmented training epoch sees it: by default {@code augmentation} (the paper's "+")
     * applied to {@link #pixels}; a dataset prepared with the ImageNet pipeline ({@link #resizeAndCrop}) draws a
     * {@link RandomResizedCrop} and flip from the full image instead, as torchvision trains those models.
     *
     * @param random a generator seeded per image, which keeps the result independent of thread timing
     */
    default byte[] augmentedPixels(int index, Augmentation augmentation, java.util.SplittableRandom random)
            throws UnreadableImageException {
        return augmentation.apply(pixels(index), channels(), height(), width(), random);
    }

    /**
     * This dataset as a model with {@code modelChannels} input channels sees it: a grey one repeated as RGB for a
     * colour model; unchanged when the channels already agree.
     *
     * @throws IllegalArgumentException for a colour dataset and a grey model
     */
    default ImageDataset asChannels(int modelChannels) {
        if (modelChannels == channels()) {
            return this;
        }
        if (channels() == 1 && modelChannels == 3) {
            return new GreyAsColourDataset(this);
        }
        throw new IllegalArgumentException(source() + " has " + channels() + " channels; a model with " + modelChannels
                + " cannot take it (convert the images to grey first)");
    }

    /** The first {@code count} images (all of them if there are fewer). */
    default ImageDataset limit(int count) {
        if (count >= size()) {
            return this;
        }
        int[] indices = new int[count];
        for (int i = 0; i < count; i++) {
            indices[i] = i;
        }
        return new SubsetDataset(this, indices);
    }
}
