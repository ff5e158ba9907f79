package org.densenet4j.infer;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.model.DenseNet;

/**
 * The features a DenseNet's classifier sees, per image: the last block's maps after BN and ReLU, averaged over
 * space (1024 values for densenet121), with the same image conversion as {@link ImageClassifier}. For
 * retrieval, clustering, or a classifier of one's own on top of a pretrained network.
 *
 * <p>Thread-safe: each call works in its own NDManager scope.
 */
public final class FeatureExtractor {

    private final DenseNet network;
    private final ModelSpec spec;
    private final NDManager manager;
    private final ImageConverter converter;

    public FeatureExtractor(TrainedModel model, NDManager manager) {
        this.network = model.network();
        this.spec = model.spec();
        this.manager = manager;
        this.converter = spec.converter();
    }

    public ModelSpec spec() {
        return spec;
    }

    /** Values per image: the last block's channel count. */
    public int dimension() {
        return network.head().features();
    }

    /** One image's features. */
    public float[] features(BufferedImage image) {
        return features(java.util.Collections.singletonList(image)).get(0);
    }

    /**
     * A batch's features in one forward pass, in input order.
     *
     * @throws IllegalArgumentException if an element is null, naming its index
     */
    public List<float[]> features(List<BufferedImage> images) {
        if (images.isEmpty()) {
            return List.of();
        }
        try (NDManager scope = manager.newSubManager()) {
            return rows(pooled(images, scope, new ParameterStore(scope, false)));
        }
    }

    /** An image's classification together with the features it was made from. */
    public record Classified(Classifications classifications, float[] features) {}

    /**
     * Classifies a batch and keeps each image's features, in one forward pass: the classifier runs on the pooled
     * features, so there is no second pass (the same probabilities as {@link ImageClassifier} within float rounding).
     *
     * @throws IllegalArgumentException if an element is null, naming its index
     */
    public List<Classified> classify(List<BufferedImage> images) {
        if (images.isEmpty()) {
            return List.of();
        }
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            NDArray pooled = pooled(images, scope, ps);
            NDArray probabilities = network.head()
                    .classifier()
                    .forward(ps, new NDList(pooled), false)
                    .singletonOrThrow()
                    .softmax(1);
            List<float[]> features = rows(pooled);
            List<Classifications> classifications = ImageBatch.classifications(spec, probabilities);
            List<Classified> out = new ArrayList<>(images.size());
            for (int i = 0; i < images.size(); i++) {
                out.add(new Classified(classifications.get(i), features.get(i)));
            }
            return out;
        }
    }

    /** The (N, D) pooled features of a batch, in {@code scope}. */
    private NDArray pooled(List<BufferedImage> images, NDManager scope, ParameterStore ps) {
        float[] data = ImageBatch.inputs(spec, converter, images);
        NDArray x = scope.create(data, spec.batchShape(images.size()));
        NDArray pooled = network.features(ps, x);
        pooled.attach(scope);
        return pooled;
    }

    /** The rows of a (N, D) array as float arrays. */
    static List<float[]> rows(NDArray features) {
        int n = (int) features.getShape().get(0);
        int d = (int) features.getShape().get(1);
        float[] all = features.toFloatArray();
        List<float[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(java.util.Arrays.copyOfRange(all, i * d, (i + 1) * d));
        }
        return out;
    }
}
