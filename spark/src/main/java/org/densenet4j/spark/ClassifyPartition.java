package org.densenet4j.spark;

import ai.djl.modality.Classifications;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.BatchClassification;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.Prediction;

/**
 * Classifies one partition in batches with the executor's model. Rows carry {@code path} and, when
 * the input had them, the file's bytes in {@code content}; without content the file is read from its
 * path through Hadoop's file systems (local, HDFS, S3, ...).
 */
final class ClassifyPartition implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final ModelRequest model;
    private final int batchSize;
    private final int threads;
    private final int topK;

    ClassifyPartition(ModelRequest model, int batchSize, int threads, int topK) {
        this.model = model;
        this.batchSize = batchSize;
        this.threads = threads;
        this.topK = topK;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        ImageClassifier classifier = ExecutorModel.get(model, threads);
        Configuration hadoop = new Configuration(); // reads Hadoop's default resources: once per partition
        List<Row> out = new ArrayList<>();
        new BatchClassification<Row, Classifications>(images -> ExecutorModel.classify(classifier, images), batchSize)
                .run(
                        rows,
                        row -> decode(row, path(row), hadoop),
                        new BatchClassification.Results<>() {
                            @Override
                            public void classified(Row row, Classifications c) {
                                List<Prediction> top = Prediction.topK(c, topK);
                                out.add(RowFactory.create(
                                        path(row),
                                        top.stream().map(Prediction::label).toArray(String[]::new),
                                        top.stream()
                                                .map(Prediction::probability)
                                                .toArray(Double[]::new),
                                        null));
                            }

                            @Override
                            public void skipped(Row row, Exception problem) { // unreadable images included
                                out.add(RowFactory.create(path(row), null, null, problem.getMessage()));
                            }
                        },
                        () -> false);
        return out.iterator();
    }

    private static String path(Row row) {
        return row.getString(row.fieldIndex("path"));
    }

    private static BufferedImage decode(Row row, String path, Configuration hadoop) throws IOException {
        boolean hasContent = java.util.Arrays.asList(row.schema().fieldNames()).contains("content")
                && !row.isNullAt(row.fieldIndex("content"));
        java.nio.file.Path name = java.nio.file.Path.of(path);
        if (hasContent) {
            return ImageFiles.decode(new ByteArrayInputStream((byte[]) row.get(row.fieldIndex("content"))), name);
        }
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(path);
        FileSystem fs = file.getFileSystem(hadoop);
        try (InputStream in = fs.open(file)) {
            return ImageFiles.decode(in, name);
        }
    }
}
