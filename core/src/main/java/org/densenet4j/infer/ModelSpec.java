package org.densenet4j.infer;

import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.densenet4j.data.Normalization;
import org.densenet4j.model.DenseNetConfig;

/**
 * Everything besides the weights that running a trained model needs: its architecture, the image
 * size and colour mode it takes, its class names and the normalisation it was trained with.
 *
 * @param modelName the preset name it was built from (for messages and model cards)
 */
public record ModelSpec(
        String modelName,
        DenseNetConfig config,
        int height,
        int width,
        List<String> classNames,
        Normalization normalization) {

    /** The largest input side accepted: 16 times ImageNet's, far beyond any DenseNet's training size. */
    public static final int MAX_SIDE = 4096;

    public ModelSpec {
        if (height < 1 || width < 1 || height > MAX_SIDE || width > MAX_SIDE) {
            throw new IllegalArgumentException("input size " + height + "x" + width + " is outside 1.." + MAX_SIDE);
        }
        classNames = List.copyOf(classNames);
        if (classNames.size() != config.classes()) {
            throw new IllegalArgumentException(
                    classNames.size() + " class names for a model with " + config.classes() + " classes");
        }
        if (normalization.channels() != config.inputChannels()) {
            throw new IllegalArgumentException("normalisation for " + normalization.channels()
                    + " channel(s) but the model takes " + config.inputChannels());
        }
    }

    public int channels() {
        return config.inputChannels();
    }

    /** The NCHW shape of a batch of {@code n} images. */
    public Shape batchShape(int n) {
        return new Shape(n, channels(), height, width);
    }
}
