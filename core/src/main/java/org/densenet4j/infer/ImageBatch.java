package org.densenet4j.infer;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDArray;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.data.ImageConverter;

/**
 * The two ends of a batched forward pass that {@link ImageClassifier} and {@link FeatureExtractor} share: images in,
 * as the model's normalised NCHW floats, and softmax probabilities out, as classifications.
 */
final class ImageBatch {

    private ImageBatch() {}

    /**
     * The images as {@code spec} takes them, one after the other.
     *
     * @throws IllegalArgumentException if an element is null, naming its index
     */
    static float[] inputs(ModelSpec spec, ImageConverter converter, List<BufferedImage> images) {
        for (int i = 0; i < images.size(); i++) {
            if (images.get(i) == null) {
                throw new IllegalArgumentException(
                        "image " + i + " of " + images.size() + " is null (ImageIO.read "
                                + "returns null for a file that is not a readable image; ImageFiles.read names the file and why)");
            }
        }
        int size = spec.channels() * spec.height() * spec.width();
        float[] data = new float[images.size() * size];
        for (int i = 0; i < images.size(); i++) {
            spec.normalization().apply(converter.toPixels(images.get(i)), data, i * size);
        }
        return data;
    }

    /**
     * One classification per row of (N, classes) probabilities.
     *
     * @throws NonFiniteOutputException if a probability is NaN or infinite
     */
    static List<Classifications> classifications(ModelSpec spec, NDArray probabilities) {
        float[] p = probabilities.toFloatArray();
        for (float v : p) {
            if (!Float.isFinite(v)) {
                throw new NonFiniteOutputException("the model's output is NaN or infinite: its weights hold NaN "
                        + "or infinite values (loaded non-strictly, or from a diverged run)");
            }
        }
        int k = spec.classNames().size();
        List<Classifications> out = new ArrayList<>(p.length / k);
        for (int i = 0; i < p.length / k; i++) {
            List<Double> row = new ArrayList<>(k);
            for (int c = 0; c < k; c++) {
                row.add((double) p[i * k + c]);
            }
            out.add(new Classifications(spec.classNames(), row));
        }
        return out;
    }
}
