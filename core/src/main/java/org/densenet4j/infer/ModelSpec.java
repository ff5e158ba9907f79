package org.densenet4j.infer;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.densenet4j.base.TerminalText;
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

    /** The description's key of {@link #describeModel}. */
    public static final String MODEL = "model";
    /** The description's key of {@link #describeInput}. */
    public static final String INPUT = "input";
    /** The description's key of the class names. */
    public static final String CLASSES = "classes";
    /** The description's key of {@link #describeNormalization}. */
    public static final String NORMALIZATION = "normalization";

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
     * The same model retrained for {@code classNames}: its input and preprocessing, the network {@code config}
     * (which differs in its class count), for fine-tuning pretrained weights on a new dataset.
     */
    public ModelSpec forClasses(DenseNetConfig config, List<String> classNames) {
        return new ModelSpec(modelName, config, height, width, classNames, normalization, resizeAndCrop);
    }

    /**
     * This description as JSON objects, the one form every model file stores (checkpoints under these keys in
     * {@code checkpoint.json}, TorchScript archives one file per key in {@code extra/}): {@code model} ({@link
     * #describeModel}), {@code input} ({@link #describeInput}), {@code classes} and {@code normalization} ({@link
     * #describeNormalization}). {@link #fromDescription} reads it back.
     */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(MODEL, describeModel());
        out.put(INPUT, describeInput());
        out.put(CLASSES, classNames);
        out.put(NORMALIZATION, describeNormalization());
        return out;
    }

    /** The network: its preset {@code name} and its {@code config} ({@link DenseNetConfig#describe}). */
    public Map<String, Object> describeModel() {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("name", modelName);
        model.put("config", config.describe());
        return model;
    }

    /** The normalisation its inputs need: {@code mean} and {@code std} per channel. */
    public Map<String, Object> describeNormalization() {
        Map<String, Object> norm = new LinkedHashMap<>();
        norm.put("mean", normalization.mean());
        norm.put("std", normalization.std());
        return norm;
    }

    /** The longest model name a description may give: names are preset names or a user's short label. */
    static final int MAX_NAME = 256;

    /**
     * Reads the parts of a description ({@link #describe}) as JSON parsed them (maps, lists, numbers and strings);
     * any part may come from a hostile file.
     *
     * @throws IllegalArgumentException naming the part that is missing or malformed
     */
    public static ModelSpec fromDescription(Object model, Object input, Object classes, Object normalization) {
        Map<?, ?> m = object(MODEL, model);
        if (!(m.get("name") instanceof String name)) {
            throw new IllegalArgumentException("the model has no name");
        }
        if (name.length() > MAX_NAME) {
            throw new IllegalArgumentException("the model's name is " + name.length() + " characters long ("
                    + TerminalText.excerpt(name, 40) + "); a name has at most " + MAX_NAME);
        }
        @SuppressWarnings("unchecked")
        Map<String, ?> described = (Map<String, ?>) object("model.config", m.get("config"));
        DenseNetConfig config = DenseNetConfig.fromDescription(described);
        if (!(classes instanceof List<?> names) || names.stream().anyMatch(c -> !(c instanceof String))) {
            throw new IllegalArgumentException("classes must be a list of names");
        }
        Map<?, ?> in = object(INPUT, input);
        Map<?, ?> norm = object(NORMALIZATION, normalization);
        return new ModelSpec(
                name,
                config,
                side(in, "height"),
                side(in, "width"),
                names.stream().map(String.class::cast).toList(),
                new Normalization(floats(norm, "mean"), floats(norm, "std")),
                resizeAndCrop(in));
    }

    private static Map<?, ?> object(String what, Object value) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(what + " is not an object");
        }
        return m;
    }

    private static int side(Map<?, ?> input, String key) {
        if (!(input.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("input." + key + " is not a number");
        }
        return n.intValue();
    }

    private static float[] floats(Map<?, ?> normalization, String key) {
        if (!(normalization.get(key) instanceof List<?> values)
                || values.stream().anyMatch(v -> !(v instanceof Number))) {
            throw new IllegalArgumentException("normalization." + key + " is not a list of numbers");
        }
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).floatValue();
        }
        return out;
    }

    /**
     * The input as checkpoints, TorchScript archives and the HTTP service describe it: channels, height, width and,
     * for the ImageNet pipeline, the side images are resized to before the crop ({@code resize}).
     */
    public Map<String, Object> describeInput() {
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("channels", channels());
        input.put("height", height);
        input.put("width", width);
        if (resizeAndCrop != null) {
            input.put("resize", resizeAndCrop.resize());
        }
        return input;
    }

    /** The preprocessing an input description ({@link #describeInput}) names, or null for squashing. */
    public static ResizeAndCrop resizeAndCrop(Map<?, ?> input) {
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
