package org.densenet4j.spark;

import java.io.Serializable;

/**
 * Where an executor reads one training image: a file, by a path Hadoop's file systems resolve (a {@code file:} URI
 * for a class folder, or a table's {@code path}), or a row of a Parquet table, whose {@code content} cell (or, where
 * that is null, {@code path}) holds the image.
 *
 * @param path the file, or null for a table row
 * @param slice the table's row group holding the row, or null for a file
 * @param row the row's index within {@code slice}
 */
record ImageRef(String path, ParquetImageTable.Slice slice, long row) implements Serializable {

    static ImageRef file(String path) {
        return new ImageRef(path, null, -1);
    }

    static ImageRef row(ParquetImageTable.Slice slice, long row) {
        return new ImageRef(null, slice, row);
    }

    /** The image as messages name it: its path, or its row and table file. */
    String name() {
        return path != null ? path : "row " + (slice.firstRow() + row) + " of " + slice.file();
    }
}
