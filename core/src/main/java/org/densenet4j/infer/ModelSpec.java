package org.densenet4j.infer;

import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.data.Normalization;
import org.densenet4j.data.ResizeAndCrop;
import org.densenet4j.model.DenseNetConfig;

/**
 * Everything besides the weights that running a trained model needs: its architecture, the image
 * size and colour mode it takes, its class names and the normalisation it was trained with.
 *
 * @param modelName the preset name it was built from (for messages and model cards)
 * @param resizeAndCrop how images of any size become inputs: resized and center-cropped as torchvision's ImageNet
 *     pipeline does, or, when null, squashed to height x width
 */
public record ModelSpec(
        String modelName,
        DenseNetConfig config,
        int height,
        int width,
        List<String> classNames,
        Normalization normalization,
        ResizeAndCrop resizeAndCrop) {

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
        if (resizeAndCrop != null) {
            resizeAndCrop.checkFeeds(height, width);
        }
    }

    /** A model whose images are squashed to {@code height} x {@code width}. */
    public ModelSpec(
            String modelName,
            DenseNetConfig config,
            int height,
            int width,
            List<String> classNames,
            Normalization normalization) {
        this(modelName, config, height, width, classNames, normalization, null);
    }

    /**
     * The input as checkpoints, TorchScript archives and the HTTP service describe it: channels, height, width and,
     * for the ImageNet pipeline, the side images are resized to before the crop ({@code resize}).
     */
    public java.util.Map<String, Object> describeInput() {
        java.util.Map<String, Object> input = new java.util.LinkedHashMap<>();
        input.put("channels", channels());
        input.put("height", height);
        input.put("width", width);
        if (resizeAndCrop != null) {
            input.put("resize", resizeAndCrop.resize());
        }
        return input;
    }

    /** The preprocessing an input description ({@link #describeInput}) names, or null for squashing. */
    public static ResizeAndCrop resizeAndCrop(java.util.Map<String, ?> input) {
        Object resize = input.get("resize");
        if (resize == null) {
            return null;
        }
        // A file may say anything: only a whole number in range is a size (no truncation of 1e12 or 256.7).
        if (!(resize instanceof Number n)
                || n.doubleValue() != Math.rint(n.doubleValue())
                || n.doubleValue() < 1
                || n.doubleValue() > MAX_SIDE) {
            throw new IllegalArgumentException(
                    "input.resize must be a whole number of pixels in 1.." + MAX_SIDE + ", got " + resize);
        }
        return new ResizeAndCrop(n.intValue(), ((Number) input.get("height")).intValue());
    }

    /** Turns images of any size and colour mode into this model's input pixels. */
    public ImageConverter converter() {
        return new ImageConverter(channels(), height, width, resizeAndCrop);
    }

    /** In words, for messages and model cards: "Resize(256) + CenterCrop(224)" or "squashed to 28x28". */
    public String describePreprocessing() {
        return resizeAndCrop != null
                ? "Resize(" + resizeAndCrop.resize() + ") + CenterCrop(" + resizeAndCrop.crop() + ")"
                : "squashed to " + height + "x" + width;
    }

    public int channels() {
        return config.inputChannels();
    }

    /** The NCHW shape of a batch of {@code n} images. */
    public Shape batchShape(int n) {
        return new Shape(n, channels(), height, width);
    }
}
