package org.densenet4j.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageDataset;

/**
 * A class-folder dataset as the Spark jobs see it: its files with their labels and split, one row each, listed on the
 * driver exactly as {@code densenet4j train} lists and splits the folder (so that both train on the same images), and
 * read by executors from a filesystem every one of them sees.
 */
final class TrainingImages {

    /** path, label (the class index) and whether the image is in the test split. */
    static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("path", DataTypes.StringType, false),
        DataTypes.createStructField("label", DataTypes.IntegerType, false),
        DataTypes.createStructField("test", DataTypes.BooleanType, false),
    });

    private final DatasetSplits splits;

    TrainingImages(DatasetSplits splits) {
        this.splits = splits;
        requireFiles(splits.train());
        requireFiles(splits.test());
    }

    /** The class names, indexed by label. */
    List<String> classNames() {
        return splits.train().classNames();
    }

    /** The dataset's name (its folder), as checkpoints record it. */
    String name() {
        return splits.name();
    }

    int trainCount() {
        return splits.train().size();
    }

    int testCount() {
        return splits.test().size();
    }

    /** Every image as a row of {@link #SCHEMA}, in {@code partitions} partitions. */
    Dataset<Row> rows(SparkSession spark, int partitions) {
        List<Row> rows = new ArrayList<>(trainCount() + testCount());
        add(rows, splits.train(), false);
        add(rows, splits.test(), true);
        return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
    }

    private static void add(List<Row> rows, ImageDataset split, boolean test) {
        for (int i = 0; i < split.size(); i++) {
            rows.add(RowFactory.create(split.file(i).toAbsolutePath().toString(), split.label(i), test));
        }
    }

    private static void requireFiles(ImageDataset split) {
        if (split.size() > 0 && split.file(0) == null) {
            throw new IllegalArgumentException(split.source() + ": the Spark jobs train on a folder of image files");
        }
    }
}
