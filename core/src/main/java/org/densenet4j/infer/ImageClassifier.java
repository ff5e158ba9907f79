package org.densenet4j.infer;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.FoldedDenseNet;
import org.densenet4j.data.ImageConverter;

/**
 * Classifies images of any size and colour mode with a trained model: each image is converted as the
 * model expects (size, grey or RGB, the training normalisation) and the logits become probabilities.
 *
 * <p>Thread-safe: each call works in its own NDManager scope.
 */
public final class ImageClassifier {

    private final FoldedDenseNet network;
    private final ModelSpec spec;
    private final NDManager manager;
    private final ImageConverter converter;

    /**
     * Folds {@code network}'s current weights for inference ({@link FoldedDenseNet}); the folded copy lives
     * in a sub-manager of {@code manager} and is freed with it.
     *
     * @param manager the manager the network's parameters live on
     */
    public ImageClassifier(DenseNet network, ModelSpec spec, NDManager manager) {
        this.network = FoldedDenseNet.of(network, manager);
        this.spec = spec;
        this.manager = manager;
        this.converter = new ImageConverter(spec.channels(), spec.height(), spec.width());
    }

    public ModelSpec spec() {
        return spec;
    }

    public Classifications classify(BufferedImage image) {
        return classify(List.of(image)).get(0);
    }

    /** Classifies a batch in one forward pass; results are in input order. */
    public List<Classifications> classify(List<BufferedImage> images) {
        if (images.isEmpty()) {
            return List.of();
        }
        int size = spec.channels() * spec.height() * spec.width();
        float[] data = new float[images.size() * size];
        for (int i = 0; i < images.size(); i++) {
            spec.normalization().apply(converter.toPixels(images.get(i)), data, i * size);
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.create(data, spec.batchShape(images.size()));
            NDArray probabilities = network.forward(new ParameterStore(scope, false), new NDList(x), false)
                    .singletonOrThrow().softmax(1);
            float[] p = probabilities.toFloatArray();
            int k = spec.classNames().size();
            List<Classifications> out = new ArrayList<>(images.size());
            for (int i = 0; i < images.size(); i++) {
                List<Double> row = new ArrayList<>(k);
                for (int c = 0; c < k; c++) {
                    row.add((double) p[i * k + c]);
                }
                out.add(new Classifications(spec.classNames(), row));
            }
            return out;
        }
    }
}
