package org.densenet4j.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.densenet4j.infer.BatchClassification;
import org.densenet4j.infer.FeatureExtractor;

/**
 * The linear probe's forward pass over one partition of labelled images: each image's pooled features, computed in
 * batches by the executor's model (the pass {@code spark-classify --features} runs), with its label and split carried
 * through. An image that cannot be read becomes a row with an {@code error} and no features.
 */
final class FeaturePartition implements FlatMapFunction<Iterator<TrainingImages.Labelled>, Row> {

    private static final long serialVersionUID = 1L;

    /** label, test, error, features. */
    static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("label", DataTypes.IntegerType, false),
        DataTypes.createStructField("test", DataTypes.BooleanType, false),
        DataTypes.createStructField("error", DataTypes.StringType, true),
        DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), true),
    });

    private final ModelRequest model;
    private final int batchSize;
    private final int threads;
    private final long maxImageBytes;

    FeaturePartition(ModelRequest model, int batchSize, int threads, long maxImageBytes) {
        this.model = model;
        this.batchSize = batchSize;
        this.threads = threads;
        this.maxImageBytes = maxImageBytes;
    }

    @Override
    public Iterator<Row> call(Iterator<TrainingImages.Labelled> images) {
        FeatureExtractor extractor = ExecutorModel.features(model, threads);
        List<TrainingImages.Labelled> sorted = new ArrayList<>();
        images.forEachRemaining(sorted::add);
        sorted.sort(java.util.Comparator.comparing(TrainingImages.Labelled::ref, ImageRefReader.ORDER));
        List<Row> out = new ArrayList<>(sorted.size());
        try (ImageRefReader reader = new ImageRefReader(ExecutorHadoop.configuration(), maxImageBytes)) {
            new BatchClassification<TrainingImages.Labelled, FeatureExtractor.Classified>(
                            batch -> ExecutorModel.classifyWithFeatures(extractor, batch), batchSize)
                    .run(
                            sorted.iterator(),
                            image -> reader.read(image.ref()),
                            new BatchClassification.Results<>() {
                                @Override
                                public void classified(TrainingImages.Labelled image, FeatureExtractor.Classified c) {
                                    float[] f = c.features();
                                    Float[] boxed = new Float[f.length];
                                    for (int i = 0; i < f.length; i++) {
                                        boxed[i] = f[i];
                                    }
                                    out.add(RowFactory.create(image.label(), image.test(), null, boxed));
                                }

                                @Override
                                public void skipped(TrainingImages.Labelled image, Exception problem) {
                                    out.add(RowFactory.create(
                                            image.label(), image.test(), ParquetImageTable.oneLine(problem), null));
                                }
                            },
                            () -> false);
        }
        return out.iterator();
    }
}
