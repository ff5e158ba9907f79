package org.densenet4j.spark;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.densenet4j.infer.BatchClassification;
import org.densenet4j.infer.FeatureExtractor;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.Prediction;

/**
 * Classifies one partition in batches with the executor's model. Its rows are either files ({@code path}, as Spark's
 * {@code binaryFile} source lists them, without their bytes) or row groups of a Parquet table
 * ({@link ParquetImageTable.Slice}), whose cells {@link ParquetSliceReader} reads within the limits. An image without
 * bytes from the table is read from its path through Hadoop's file systems (local, HDFS, S3, ...), its length checked
 * first. Every image that cannot be read or classified becomes an error row.
 */
final class ClassifyPartition implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final ModelRequest model;
    private final int batchSize;
    private final int threads;
    private final int topK;
    private final boolean features;
    private final boolean slices;
    private final long maxImageBytes;

    /**
     * @param features add each image's pooled features ({@link ImageRows#WITH_FEATURES})
     * @param slices rows are Parquet row groups ({@link ImageRows#SLICES}), not files
     * @param maxImageBytes the largest image read; a larger one is an error row
     */
    ClassifyPartition(
            ModelRequest model,
            int batchSize,
            int threads,
            int topK,
            boolean features,
            boolean slices,
            long maxImageBytes) {
        this.model = model;
        this.batchSize = batchSize;
        this.threads = threads;
        this.topK = topK;
        this.features = features;
        this.slices = slices;
        this.maxImageBytes = maxImageBytes;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        java.util.function.Function<List<BufferedImage>, List<FeatureExtractor.Classified>> forward;
        if (features) {
            FeatureExtractor extractor = ExecutorModel.features(model, threads);
            forward = images -> ExecutorModel.classifyWithFeatures(extractor, images);
        } else {
            ImageClassifier classifier = ExecutorModel.get(model, threads);
            forward = images -> ExecutorModel.classify(classifier, images).stream()
                    .map(c -> new FeatureExtractor.Classified(c, null))
                    .toList();
        }
        Configuration hadoop = ExecutorHadoop.configuration(); // once per partition
        List<Row> out = new ArrayList<>();
        new BatchClassification<ImageCell, FeatureExtractor.Classified>(forward::apply, batchSize)
                .run(
                        cells(rows, hadoop),
                        cell -> ImageRefReader.decode(cell, hadoop, maxImageBytes),
                        new BatchClassification.Results<>() {
                            @Override
                            public void classified(ImageCell cell, FeatureExtractor.Classified c) {
                                List<Prediction> top = Prediction.topK(c.classifications(), topK);
                                out.add(row(
                                        cell.path(),
                                        top.stream().map(Prediction::label).toArray(String[]::new),
                                        top.stream()
                                                .map(Prediction::probability)
                                                .toArray(Double[]::new),
                                        null,
                                        c.features()));
                            }

                            @Override
                            public void skipped(ImageCell cell, Exception problem) { // unreadable images included
                                out.add(row(cell.path(), null, null, ParquetImageTable.oneLine(problem), null));
                            }
                        },
                        () -> false);
        return out.iterator();
    }

    /** A row of {@link ImageRows#SCHEMA}, or of {@link ImageRows#WITH_FEATURES} with the features. */
    private Row row(String path, String[] labels, Double[] probabilities, String error, float[] values) {
        if (!features) {
            return RowFactory.create(path, labels, probabilities, error);
        }
        Float[] boxed = null;
        if (values != null) {
            boxed = new Float[values.length];
            for (int i = 0; i < values.length; i++) {
                boxed[i] = values[i];
            }
        }
        return RowFactory.create(path, labels, probabilities, error, boxed);
    }

    /** The images of a partition's rows, read lazily: one row group's cells at a time. */
    private Iterator<ImageCell> cells(Iterator<Row> rows, Configuration hadoop) {
        if (!slices) {
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public ImageCell next() {
                    return new ImageCell(rows.next().getString(0), null, null);
                }
            };
        }
        return new Iterator<>() {
            private Iterator<ImageCell> current = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && rows.hasNext()) {
                    current = ParquetSliceReader.open(
                            ImageRows.slice(rows.next()), hadoop, maxImageBytes, maxPageBytes(maxImageBytes));
                }
                return current.hasNext();
            }

            @Override
            public ImageCell next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return current.next();
            }
        };
    }

    /** The largest Parquet page decompressed whole (snappy, lz4, dictionaries): a few images' worth. */
    static long maxPageBytes(long maxImageBytes) {
        return Math.min(Integer.MAX_VALUE - 16, 4 * maxImageBytes);
    }
}
