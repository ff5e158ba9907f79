package org.densenet4j.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The job's tables: the output, one row per input image, and the row groups executors read. */
final class ImageRows {

    /**
     * path, top-k labels, their probabilities, and the error for an image that could not be classified. The path is
     * null only for a Parquet row without one (its error names the file and row).
     */
    static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("path", DataTypes.StringType, true),
        DataTypes.createStructField("labels", DataTypes.createArrayType(DataTypes.StringType, false), true),
        DataTypes.createStructField("probabilities", DataTypes.createArrayType(DataTypes.DoubleType, false), true),
        DataTypes.createStructField("error", DataTypes.StringType, true),
    });

    /** {@link #SCHEMA} and, with --features, the pooled features the classifier saw. */
    static final StructType WITH_FEATURES = SCHEMA.add(
            DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), true));

    /** The input of a Parquet job: its row groups ({@link ParquetImageTable.Slice}), one row each. */
    static final StructType SLICES = new StructType(new StructField[] {
        DataTypes.createStructField("file", DataTypes.StringType, false),
        DataTypes.createStructField("rowGroup", DataTypes.IntegerType, false),
        DataTypes.createStructField("firstRow", DataTypes.LongType, false),
        DataTypes.createStructField("rows", DataTypes.LongType, false),
    });

    private ImageRows() {}

    static Row row(ParquetImageTable.Slice slice) {
        return RowFactory.create(slice.file(), slice.rowGroup(), slice.firstRow(), slice.rows());
    }

    static ParquetImageTable.Slice slice(Row row) {
        return new ParquetImageTable.Slice(row.getString(0), row.getInt(1), row.getLong(2), row.getLong(3));
    }
}
