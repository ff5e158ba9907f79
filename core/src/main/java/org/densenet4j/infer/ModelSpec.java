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
public record ModelSpec(String modelName, DenseNetConfig config, int height, int width, List<String> classNames,
        Normalization normalization) {

    public ModelSpec {
        classNames = List.copyOf(classNames);
        if (classNames.size() != config.classes()) {
            throw new IllegalArgumentException(classNames.size() + " class names for a model with "
                    + config.classes() + " classes");
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
