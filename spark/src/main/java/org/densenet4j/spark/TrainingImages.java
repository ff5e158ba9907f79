package org.densenet4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.ImageFolderDataset;
import org.densenet4j.data.ResizeAndCrop;
import org.densenet4j.data.SubsetDataset;

/**
 * The labelled images the Spark jobs train on, split into training and test images on the driver: a class-folder
 * dataset, listed and split exactly as {@code densenet4j train} lists and splits it (so that both train on the same
 * images), or a Parquet table of labelled images ({@link TrainingTable}). Executors read each image by its
 * {@link ImageRef}, from a filesystem every one of them sees.
 */
final class TrainingImages {

    /**
     * One image as the linear probe's executors see it.
     *
     * @param ref where it is read
     * @param label its class index
     * @param test whether it is in the test split
     */
    record Labelled(ImageRef ref, int label, boolean test) implements Serializable {}

    private final DatasetSplits splits;

    TrainingImages(DatasetSplits splits) {
        this.splits = splits;
        requireFiles(splits.train());
        requireFiles(splits.test());
    }

    /**
     * The images at {@code input}, prepared at {@code size} x {@code size} with {@code channels} channels.
     *
     * @param table whether {@code input} is a Parquet table rather than a class folder
     * @param holdout without train/ and test/ folders (or a table's split column): the fraction held out for testing,
     *     chosen by {@code seed}
     */
    static TrainingImages load(
            SparkSession spark,
            String input,
            boolean table,
            int channels,
            int size,
            ResizeAndCrop resizeAndCrop,
            double holdout,
            long seed,
            long maxImageBytes)
            throws IOException {
        return new TrainingImages(
                table
                        ? TrainingTable.splits(
                                spark, input, channels, size, resizeAndCrop, holdout, seed, maxImageBytes)
                        : ImageFolderDataset.splits(
                                java.nio.file.Path.of(input), channels, size, resizeAndCrop, holdout, seed));
    }

    /** The training and test splits: what the driver orders and evaluates. */
    DatasetSplits splits() {
        return splits;
    }

    /** The class names, indexed by label. */
    List<String> classNames() {
        return splits.train().classNames();
    }

    /** The dataset's name (its folder or table), as checkpoints record it. */
    String name() {
        return splits.name();
    }

    int trainCount() {
        return splits.train().size();
    }

    int testCount() {
        return splits.test().size();
    }

    /** Where executors read image {@code index} of {@code split} (one of {@link #splits()}'s). */
    static ImageRef ref(ImageDataset split, int index) {
        if (split instanceof SubsetDataset subset && subset.base() instanceof TableImages table) {
            return table.ref(subset.baseIndex(index));
        }
        return ImageRef.file(split.file(index).toAbsolutePath().toUri().toString());
    }

    /** Every image with its label and split, in {@code partitions} partitions of consecutive images. */
    JavaRDD<Labelled> labelled(SparkSession spark, int partitions) {
        List<Labelled> all = new ArrayList<>(trainCount() + testCount());
        add(all, splits.train(), false);
        add(all, splits.test(), true);
        return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(all, partitions);
    }

    private static void add(List<Labelled> into, ImageDataset split, boolean test) {
        for (int i = 0; i < split.size(); i++) {
            into.add(new Labelled(ref(split, i), split.label(i), test));
        }
    }

    private static void requireFiles(ImageDataset split) {
        if (split.size() > 0
                && !(split instanceof SubsetDataset s && s.base() instanceof TableImages)
                && split.file(0) == null) {
            throw new IllegalArgumentException(split.source() + ": the Spark jobs train on a folder of image files");
        }
    }
}
