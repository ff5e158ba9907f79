package org.densenet4j.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The output table: one row per input file. */
final class ImageRows {

    /** path, top-k labels, their probabilities, and the error for an image that could not be classified. */
    static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("path", DataTypes.StringType, false),
        DataTypes.createStructField("labels", DataTypes.createArrayType(DataTypes.StringType, false), true),
        DataTypes.createStructField("probabilities", DataTypes.createArrayType(DataTypes.DoubleType, false), true),
        DataTypes.createStructField("error", DataTypes.StringType, true),
    });

    /** {@link #SCHEMA} and, with --features, the pooled features the classifier saw. */
    static final StructType WITH_FEATURES = SCHEMA.add(
            DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), true));

    private ImageRows() {}
}
