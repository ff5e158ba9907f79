package org.densenet4j.infer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.FoldedDenseNet;

/**
 * Shows where a DenseNet looked: class activation maps and Grad-CAM, for the same images and with the same
 * conversion as {@link ImageClassifier}.
 *
 * <ul>
 *   <li>{@link Method#CAM} (Zhou et al., 2016): a DenseNet ends in global average pooling and one linear layer,
 *       so the classifier's weights for a class, applied to the final feature maps at each position, give an
 *       exact map whose mean is the class's logit minus its bias. Computed on the folded inference network.
 *   <li>{@link Method#GRAD_CAM} (Selvaraju et al., 2017): any dense block's output, weighted per channel by the
 *       spatial mean of the class score's gradient, summed and rectified. Computed on the plain network with
 *       autograd. At the last block it explains the final (rectified) feature maps, where it equals CAM's
 *       positive part divided by the map's area.
 * </ul>
 *
 * <p>A model that runs elsewhere than in the float32 network (densenet4j's int8 module) is explained by CAM alone
 * ({@link #camOnly}): its logits and maps come from one pass of that model, and Grad-CAM, which needs the float32
 * network's gradients, is refused.
 *
 * <p>Calls are serialised: gradient recording is switched on per process while Grad-CAM runs.
 */
public final class Explainer {

    /** One forward pass that answers the logits (N, classes) and class activation maps (N, classes, h, w). */
    @FunctionalInterface
    public interface ClassActivationMaps {
        NDList logitsAndMaps(NDArray images);
    }

    /** How a map is made. */
    public enum Method {
        CAM,
        GRAD_CAM;

        /** Parses {@code cam} or {@code gradcam} (any case; {@code grad-cam} too). */
        public static Method parse(String name) {
            String n = name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
            return switch (n) {
                case "cam" -> CAM;
                case "gradcam" -> GRAD_CAM;
                default -> throw new IllegalArgumentException("unknown method '" + name + "'; valid: cam, gradcam");
            };
        }

        @Override
        public String toString() {
            return this == CAM ? "cam" : "gradcam";
        }
    }

    /** The float32 network, for Grad-CAM; null when the model is explained by CAM alone. */
    private final DenseNet network;

    private final ClassActivationMaps maps;
    private final ModelSpec spec;
    private final NDManager manager;

    /** Why a model explained by CAM alone refuses Grad-CAM. */
    public static final String GRAD_CAM_NEEDS_FLOAT = "gradcam needs the float32 network's gradients, and this model "
            + "runs in int8: use cam (the int8 network's own class activation map), or gradcam in fp32";

    private final ImageConverter converter;

    /**
     * Explains {@code network} as it is now (its weights are folded once, as {@link ImageClassifier} does).
     *
     * @param manager the manager the network's parameters live on
     */
    /** For a model opened from a file ({@code io.ModelFiles}). */
    public Explainer(TrainedModel model, NDManager manager) {
        this(model.network(), model.spec(), manager);
    }

    public Explainer(DenseNet network, ModelSpec spec, NDManager manager) {
        this(network, FoldedDenseNet.of(network, manager)::logitsAndClassActivationMaps, spec, manager);
    }

    private Explainer(DenseNet network, ClassActivationMaps maps, ModelSpec spec, NDManager manager) {
        this.network = network;
        this.maps = maps;
        this.spec = spec;
        this.manager = manager;
        this.converter = spec.converter();
    }

    /**
     * Explains with CAM alone a model that computes its logits and maps itself ({@code maps}, e.g. densenet4j's int8
     * module); Grad-CAM is refused.
     */
    public static Explainer camOnly(ModelSpec spec, ClassActivationMaps maps, NDManager manager) {
        return new Explainer(null, maps, spec, manager);
    }

    /** False when only CAM explains this model (it does not run as the float32 network whose gradients Grad-CAM needs). */
    public boolean hasGradCam() {
        return network != null;
    }

    /**
     * The rule "Grad-CAM is refused in int8; CAM runs on the int8 network": a model explained by CAM alone ({@link
     * #camOnly}, densenet4j's int8 network) has no float32 network whose gradients Grad-CAM needs. The one check of
     * it: {@link #explain} makes it, and the command line and the server before they load a model or queue a
     * request, each wording the refusal for its users.
     *
     * @param camOnly true if only CAM explains the model
     * @param refusal the message
     * @throws IllegalArgumentException with {@code refusal} if {@code method} is Grad-CAM and {@code camOnly}
     */
    public static void refuseGradCam(Method method, boolean camOnly, String refusal) {
        if (method == Method.GRAD_CAM && camOnly) {
            throw new IllegalArgumentException(refusal);
        }
    }

    /** {@link #refuseGradCam(Method, boolean, String)} for this model, with {@link #GRAD_CAM_NEEDS_FLOAT}. */
    public void refuseGradCam(Method method) {
        refuseGradCam(method, !hasGradCam(), GRAD_CAM_NEEDS_FLOAT);
    }

    public ModelSpec spec() {
        return spec;
    }

    /** Number of dense blocks, the valid values of a layer being 1 to this. */
    public int blocks() {
        return spec.config().blockLayers().length;
    }

    /**
     * The class a choice names: {@code top} (the most probable), a class name, or an index.
     *
     * @throws IllegalArgumentException naming the valid classes
     */
    public int classIndex(String choice, float[] probabilities) {
        return classIndex(spec, choice, probabilities);
    }

    /** As {@link #classIndex(String, float[])}, for any model's classes. */
    static int classIndex(ModelSpec spec, String choice, float[] probabilities) {
        List<String> names = spec.classNames();
        if (choice == null || choice.equalsIgnoreCase("top")) {
            int best = 0;
            for (int i = 1; i < probabilities.length; i++) {
                if (probabilities[i] > probabilities[best]) {
                    best = i;
                }
            }
            return best;
        }
        int byName = names.indexOf(choice);
        if (byName >= 0) {
            return byName;
        }
        try {
            int index = Integer.parseInt(choice.trim());
            if (index >= 0 && index < names.size()) {
                return index;
            }
        } catch (NumberFormatException e) {
            // not an index: fall through to the error
        }
        throw new IllegalArgumentException(
                "unknown class '" + choice + "': give top, an index 0.." + (names.size() - 1) + " or one of " + names);
    }

    /**
     * Explains one image for one class.
     *
     * @param target {@code top}, a class name or an index
     * @param block the dense block to explain (1-based); CAM needs the last
     * @throws IllegalArgumentException for an unknown class or block, or CAM on an inner block
     */
    public synchronized Explanation explain(BufferedImage image, String target, Method method, int block) {
        if (image == null) {
            throw new IllegalArgumentException(
                    "image is null (ImageIO.read returns null for a file that is not a " + "readable image)");
        }
        int size = spec.channels() * spec.height() * spec.width();
        float[] data = new float[size];
        spec.normalization().apply(converter.toPixels(image), data, 0);
        try (NDManager scope = manager.newSubManager()) {
            return explain(scope.create(data, spec.batchShape(1)), target, method, block);
        }
    }

    /** As {@link #explain(BufferedImage, String, Method, int)}, for one normalised image (1, C, H, W). */
    public synchronized Explanation explain(NDArray input, String target, Method method, int block) {
        if (block < 1 || block > blocks()) {
            throw new IllegalArgumentException(
                    "layer block" + block + " does not exist: valid layers are block1.." + "block" + blocks());
        }
        if (method == Method.CAM && block != blocks()) {
            throw new IllegalArgumentException("CAM explains the final feature maps (block" + blocks() + "); "
                    + (hasGradCam()
                            ? "use gradcam to explain block" + block
                            : "this model runs in int8, which has no gradcam: explain block" + block
                                    + " with gradcam in fp32"));
        }
        refuseGradCam(method);
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = input.duplicate();
            x.attach(scope);
            NDList both = maps.logitsAndMaps(x);
            float[] probabilities = both.get(0).softmax(1).toFloatArray();
            for (float p : probabilities) {
                if (!Float.isFinite(p)) {
                    throw new NonFiniteOutputException(
                            "the model's output is NaN or infinite: its weights hold NaN " + "or infinite values");
                }
            }
            int k = classIndex(target, probabilities);
            NDArray map = method == Method.CAM ? both.get(1).get(new NDIndex("0, {}", k)) : gradCam(x, k, block, scope);
            long[] shape = map.getShape().getShape();
            return new Explanation(
                    k,
                    spec.classNames().get(k),
                    probabilities[k],
                    method,
                    block,
                    (int) shape[0],
                    (int) shape[1],
                    map.toFloatArray());
        }
    }

    /** Grad-CAM of class {@code k} at dense block {@code block}'s output: (h, w). */
    private NDArray gradCam(NDArray x, int k, int block, NDManager scope) {
        ParameterStore ps = new ParameterStore(scope, false);
        boolean last = block == blocks();
        NDArray maps;
        NDArray gradient;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray output = network.blockOutput(ps, x, block);
            NDArray explained = last ? network.head().rectify(ps, new NDList(output), false, null) : output;
            // A leaf of its own, so that its gradient is kept and nothing before it is differentiated.
            maps = explained.stopGradient();
            maps.attach(scope);
            maps.setRequiresGradient(true);
            NDArray logits = last
                    ? network.head().classify(ps, maps, false, null).singletonOrThrow()
                    : network.logitsFrom(ps, maps, block);
            collector.backward(logits.get(new NDIndex(":, {}", k)).sum());
            gradient = maps.getGradient().duplicate();
        }
        Shape shape = gradient.getShape();
        NDArray weights = gradient.sum(new int[] {2, 3}, true).div(shape.get(2) * shape.get(3)); // spatial means
        return maps.stopGradient().mul(weights).sum(new int[] {1}).maximum(0f).get(0);
    }
}
