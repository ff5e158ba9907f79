package org.densenet4j.spark;

import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.densenet4j.data.Augmentation;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.data.LabelledImages;
import org.densenet4j.data.ResizeAndCrop;
import org.densenet4j.data.UnreadableImageException;

/**
 * The labelled rows of a Parquet table as a dataset on the driver: what the Spark jobs split, order and hand to
 * executors by {@link ImageRef}, and what the driver evaluates after each epoch, reading its rows through Hadoop's
 * file systems with the executors' limits. Images are prepared as an image folder's are.
 */
final class TableImages extends LabelledImages {

    private final ImageRef[] refs;
    private final ResizeAndCrop resizeAndCrop;
    private final ImageConverter converter;
    private final Configuration hadoop;
    private final long maxImageBytes;
    /** Rows are mostly read in order (evaluation): one reader passes over a row group once. */
    private ImageRefReader reader;

    /**
     * @param refs each row's place in the table, in table order
     * @param labels each row's class, indexing {@code classNames}
     * @param size the images' height and width
     */
    TableImages(
            String source,
            ImageRef[] refs,
            int[] labels,
            List<String> classNames,
            int channels,
            int size,
            ResizeAndCrop resizeAndCrop,
            Configuration hadoop,
            long maxImageBytes) {
        super(source, channels, size, size, labels, classNames);
        if (refs.length != labels.length) {
            throw new IllegalArgumentException(refs.length + " rows but " + labels.length + " labels");
        }
        this.refs = refs;
        this.resizeAndCrop = resizeAndCrop;
        this.converter = new ImageConverter(channels, size, size, resizeAndCrop);
        this.hadoop = hadoop;
        this.maxImageBytes = maxImageBytes;
    }

    /** Where row {@code index} is read from. */
    ImageRef ref(int index) {
        return refs[index];
    }

    @Override
    public ResizeAndCrop resizeAndCrop() {
        return resizeAndCrop;
    }

    @Override
    public synchronized byte[] pixels(int index) throws UnreadableImageException {
        return converter.toPixels(reader().read(refs[index]));
    }

    @Override
    public synchronized byte[] augmentedPixels(int index, Augmentation augmentation, java.util.SplittableRandom random)
            throws UnreadableImageException {
        return converter.augmentedPixels(reader().read(refs[index]), augmentation, random);
    }

    private ImageRefReader reader() {
        if (reader == null) {
            reader = new ImageRefReader(hadoop, maxImageBytes);
        }
        return reader;
    }
}
