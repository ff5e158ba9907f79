package org.densenet4j.spark;

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
import org.densenet4j.infer.FeatureExtractor;
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
    private final boolean features;

    /** @param features add each image's pooled features ({@link ImageRows#WITH_FEATURES}) */
    ClassifyPartition(ModelRequest model, int batchSize, int threads, int topK, boolean features) {
        this.model = model;
        this.batchSize = batchSize;
        this.threads = threads;
        this.topK = topK;
        this.features = features;
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
        Configuration hadoop = new Configuration(); // reads Hadoop's default resources: once per partition
        List<Row> out = new ArrayList<>();
        new BatchClassification<Row, FeatureExtractor.Classified>(forward::apply, batchSize)
                .run(
                        rows,
                        row -> decode(row, path(row), hadoop),
                        new BatchClassification.Results<>() {
                            @Override
                            public void classified(Row row, FeatureExtractor.Classified c) {
                                List<Prediction> top = Prediction.topK(c.classifications(), topK);
                                out.add(row(
                                        path(row),
                                        top.stream().map(Prediction::label).toArray(String[]::new),
                                        top.stream()
                                                .map(Prediction::probability)
                                                .toArray(Double[]::new),
                                        null,
                                        c.features()));
                            }

                            @Override
                            public void skipped(Row row, Exception problem) { // unreadable images included
                                out.add(row(path(row), null, null, problem.getMessage(), null));
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
