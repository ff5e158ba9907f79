package org.densenet4j.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.norm.BatchNorm;
import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseBlock;
import org.densenet4j.model.DenseLayer;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.FoldedNorm;
import org.densenet4j.model.Head;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.Stem;
import org.densenet4j.model.StemType;
import org.densenet4j.model.Transition;
import org.densenet4j.onnx.Onnx.ModelProto;
import org.densenet4j.onnx.Onnx.OperatorSetIdProto;
import org.densenet4j.onnx.Onnx.StringStringEntryProto;
import org.densenet4j.script.Int8Calibration;
import org.densenet4j.script.Int8Source;

/**
 * Writes a trained DenseNet as an ONNX model (opset 17) that ONNX Runtime, TensorRT, OpenVINO and other runtimes
 * run without densenet4j: input {@code images} (batch, C, H, W) with a dynamic batch axis, output {@code logits}
 * (batch, classes), the eval-mode network (dropout is the identity). Class names, the normalisation the input must
 * have and the input size go in {@code metadata_props}.
 *
 * <p>By default every batch normalisation stays a {@code BatchNormalization} node, so that other frameworks can
 * fine-tune the graph. With {@code fold}, each BN that follows a convolution (the ImageNet stem's, the bottleneck's
 * second) is folded into that convolution and transitions pool before their 1x1 convolution (they commute), as
 * densenet4j's own inference network does; a BN-ReLU before a convolution stays (a ReLU sits between them).
 *
 * <p>{@link #writeInt8} writes densenet4j's int8 network instead, folded, with QuantizeLinear/DequantizeLinear pairs
 * at its calibrated points and int8 convolution weights ({@link OnnxQuantization}); the input and output stay float32.
 */
public final class OnnxExport {

    /** The ONNX operator set the graph uses. */
    public static final int OPSET = 17;
    /** ONNX IR version 8 (ONNX 1.10 and later), which opset 17 runtimes read. */
    static final int IR_VERSION = 8;

    private final OnnxGraph graph;
    private final boolean fold;
    /** The int8 network's quantization points and weights; null for the float32 graph. */
    private final OnnxQuantization int8;

    private OnnxExport(String name, boolean fold, OnnxQuantization.Factory int8) {
        this.graph = new OnnxGraph(name);
        this.fold = fold;
        this.int8 = int8 == null ? null : int8.on(graph);
    }

    /**
     * Writes {@code model} to {@code file} atomically, in float32.
     *
     * @return the number of nodes in the graph
     */
    public static int write(TrainedModel model, boolean fold, Path file) throws IOException {
        return write(model, new OnnxExport(model.spec().modelName(), fold, null), file);
    }

    /**
     * Writes {@code source}'s model to {@code file} atomically as densenet4j's int8 network in QDQ form ({@link
     * OnnxQuantization}), with the activation ranges of {@code calibration} and the int8 module's own folded tensors
     * ({@link Int8Source#weights}); transitions pool first, as in the int8 module.
     *
     * @return the number of nodes in the graph
     * @throws IllegalArgumentException if {@code calibration} was made for another network, or a scale leaves float32
     * @throws org.densenet4j.infer.NonFiniteOutputException if a weight is NaN or infinite
     */
    public static int writeInt8(Int8Source source, Int8Calibration calibration, Path file) throws IOException {
        ModelSpec spec = source.spec();
        source.requireQuantizable();
        OnnxQuantization.Factory int8 =
                new OnnxQuantization.Factory(calibration, Int8Calibration.pointsOf(spec.config()), source.weights());
        return write(source.model(), new OnnxExport(spec.modelName(), true, int8), file);
    }

    private static int write(TrainedModel model, OnnxExport export, Path file) throws IOException {
        ModelSpec spec = model.spec();
        boolean fold = export.fold;
        String logits = export.network(model.network(), spec);
        export.graph.output(logits, spec.config().classes());
        Gson gson = new Gson();
        Map<String, String> metadata = new LinkedHashMap<>(Map.of(
                "model", spec.modelName(),
                "classes", gson.toJson(spec.classNames()),
                "mean", gson.toJson(spec.normalization().mean()),
                "std", gson.toJson(spec.normalization().std()),
                "input", spec.channels() + "x" + spec.height() + "x" + spec.width(),
                "preprocessing",
                        "resize to HxW, scale pixels to [0, 1], subtract mean, divide by std; "
                                + (spec.channels() == 1 ? "grey" : "RGB") + " NCHW float32",
                "folded", Boolean.toString(fold),
                "precision", export.int8 == null ? "fp32" : "int8"));
        if (export.int8 != null) {
            metadata.put("quantization", export.int8.describe());
        }
        ModelProto onnx = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName("densenet4j")
                .setProducerVersion("0.1.0")
                .setModelVersion(1)
                .setDocString(spec.modelName() + ": DenseNet (Huang et al., CVPR 2017), eval-mode logits"
                        + (fold ? ", BN folded into the convolutions it follows" : "")
                        + (export.int8 != null ? ", int8 in QDQ form (float32 in and out)" : ""))
                .setGraph(export.graph.build())
                .addAllMetadataProps(metadata(metadata))
                .build();
        AtomicFile.write(file, onnx::writeTo);
        return export.graph.nodeCount();
    }

    private static Iterable<StringStringEntryProto> metadata(Map<String, String> entries) {
        return entries.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> StringStringEntryProto.newBuilder()
                        .setKey(e.getKey())
                        .setValue(e.getValue())
                        .build())
                .toList();
    }

    private String network(DenseNet net, ModelSpec spec) {
        String x = quantized(graph.input("images", spec.channels(), spec.height(), spec.width()), "input");
        x = stem(net.stem(), x);
        for (int b = 1; b <= net.denseBlocks().size(); b++) {
            x = block(net.denseBlocks().get(b - 1), b, x);
            if (b <= net.transitions().size()) {
                x = transition(net.transitions().get(b - 1), b, x);
            }
        }
        return head(net.head(), x);
    }

    private String stem(Stem stem, String x) {
        Map<String, NDArray> t = named(Stem.tensorNames(stem.type()), stem.tensors());
        boolean imagenet = stem.type() == StemType.IMAGENET;
        int kernel = imagenet ? 7 : 3;
        int stride = imagenet ? 2 : 1;
        int padding = imagenet ? 3 : 1;
        if (!imagenet) {
            return quantized(conv("features.conv0", x, t.get("conv0.weight"), null, kernel, stride, padding), "block1");
        }
        String y = fold
                ? convThenNorm("features.conv0", x, t.get("conv0.weight"), stem.norm(), kernel, stride, padding)
                : norm(
                        "features.norm0",
                        conv("features.conv0", x, t.get("conv0.weight"), null, kernel, stride, padding),
                        t,
                        "norm0");
        y = quantized(graph.node("Relu", "features.relu0", new String[] {y}), "block1");
        return quantized(
                graph.node(
                        "MaxPool",
                        "features.pool0",
                        new String[] {y},
                        OnnxGraph.ints("kernel_shape", 3, 3),
                        OnnxGraph.ints("strides", 2, 2),
                        OnnxGraph.ints("pads", 1, 1, 1, 1)),
                "block1");
    }

    /** Dense block {@code b} (from 1); in int8, the block's maps share the block's point, as its buffer does. */
    private String block(DenseBlock block, int b, String input) {
        String name = "features.denseblock" + b;
        String point = "block" + b;
        String features = input;
        int j = 1;
        for (DenseLayer layer : block.layers()) {
            String layerPoint = point + ".layer" + j;
            String prefix = name + ".denselayer" + j++;
            Map<String, NDArray> t = named(
                    DenseLayer.tensorNames(layer.isBottleneck() ? LayerType.BOTTLENECK : LayerType.BASIC),
                    layer.tensors());
            String y = quantized(
                    graph.node("Relu", prefix + ".relu1", new String[] {norm(prefix + ".norm1", features, t, "norm1")}),
                    layerPoint + ".norm");
            if (layer.isBottleneck()) {
                y = fold
                        ? convThenNorm(prefix + ".conv1", y, t.get("conv1.weight"), layer.norm2(), 1, 1, 0)
                        : norm(
                                prefix + ".norm2",
                                conv(prefix + ".conv1", y, t.get("conv1.weight"), null, 1, 1, 0),
                                t,
                                "norm2");
                y = quantized(graph.node("Relu", prefix + ".relu2", new String[] {y}), layerPoint + ".bottleneck");
                y = conv(prefix + ".conv2", y, t.get("conv2.weight"), null, 3, 1, 1);
            } else {
                y = conv(prefix + ".conv1", y, t.get("conv1.weight"), null, 3, 1, 1);
            }
            y = quantized(y, point);
            String[] pieces = block.concatOrder() == ConcatOrder.INPUT_FIRST
                    ? new String[] {features, y}
                    : new String[] {y, features};
            features = quantized(graph.node("Concat", prefix + ".concat", pieces, OnnxGraph.integer("axis", 1)), point);
        }
        return features;
    }

    /** The transition after dense block {@code b} (from 1); in int8 its output is on block b + 1's point. */
    private String transition(Transition transition, int b, String x) {
        String name = "features.transition" + b;
        String point = "transition" + b + ".norm";
        Map<String, NDArray> t = named(Transition.tensorNames(), transition.tensors());
        String y =
                quantized(graph.node("Relu", name + ".relu", new String[] {norm(name + ".norm", x, t, "norm")}), point);
        if (fold) { // pooling first: the 1x1 conv then sees a quarter of the pixels
            String pooled = quantized(pool(name + ".pool", y), point);
            return quantized(conv(name + ".conv", pooled, t.get("conv.weight"), null, 1, 1, 0), "block" + (b + 1));
        }
        return pool(name + ".pool", conv(name + ".conv", y, t.get("conv.weight"), null, 1, 1, 0));
    }

    /** {@code x} on the uint8 grid of the int8 network's {@code point}; {@code x} itself in float32. */
    private String quantized(String x, String point) {
        return int8 == null ? x : int8.at(x, point);
    }

    private String pool(String name, String x) {
        return graph.node(
                "AveragePool",
                name,
                new String[] {x},
                OnnxGraph.ints("kernel_shape", 2, 2),
                OnnxGraph.ints("strides", 2, 2));
    }

    private String head(Head head, String x) {
        Map<String, NDArray> t = named(Head.tensorNames(), head.tensors());
        String y = quantized(
                graph.node("Relu", "features.relu5", new String[] {norm("features.norm5", x, t, "norm5")}),
                "head.norm");
        y = quantized(graph.node("GlobalAveragePool", "pool", new String[] {y}), "head.norm");
        y = graph.node("Flatten", "flatten", new String[] {y}, OnnxGraph.integer("axis", 1));
        NDArray w = t.get("classifier.weight");
        NDArray b = t.get("classifier.bias");
        return graph.node(
                "Gemm",
                "logits",
                new String[] {
                    y,
                    graph.initializer(
                            "classifier.weight", w.toFloatArray(), w.getShape().getShape()),
                    graph.initializer(
                            "classifier.bias", b.toFloatArray(), b.getShape().getShape())
                },
                OnnxGraph.integer("transB", 1));
    }

    /** A stage's tensors by the names PyTorch gives them, as the stage lists both. */
    private static Map<String, NDArray> named(List<String> names, List<NDArray> tensors) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), tensors.get(i));
        }
        return out;
    }

    private String conv(String name, String x, NDArray weight, float[] bias, int kernel, int stride, int padding) {
        long[] dims = weight.getShape().getShape();
        String[] inputs;
        if (int8 != null) {
            inputs = int8.convolutionInputs(name, x, dims);
        } else {
            String w = graph.initializer(name + ".weight", weight.toFloatArray(), dims);
            inputs = bias == null
                    ? new String[] {x, w}
                    : new String[] {x, w, graph.initializer(name + ".bias", bias, dims[0])};
        }
        return graph.node(
                "Conv",
                name,
                inputs,
                OnnxGraph.ints("kernel_shape", kernel, kernel),
                OnnxGraph.ints("strides", stride, stride),
                OnnxGraph.ints("pads", padding, padding, padding, padding));
    }

    /**
     * A convolution with the BN that follows it folded in, as the model folds it ({@link FoldedNorm}); in int8 the
     * int8 module's tensors, folded already.
     */
    private String convThenNorm(
            String name, String x, NDArray weight, BatchNorm norm, int kernel, int stride, int padding) {
        if (int8 != null) {
            return conv(name, x, weight, null, kernel, stride, padding);
        }
        try (NDManager scratch = weight.getManager().newSubManager()) {
            NDArray[] folded = FoldedNorm.intoPrecedingConv(norm, weight, null, scratch);
            return conv(name, x, folded[0], folded[1].toFloatArray(), kernel, stride, padding);
        }
    }

    /** The eval-mode BN whose tensors {@code t} holds under {@code local}, named {@code name} in the graph. */
    private String norm(String name, String x, Map<String, NDArray> t, String local) {
        long channels = t.get(local + ".weight").size();
        return graph.node(
                "BatchNormalization",
                name,
                new String[] {
                    x,
                    graph.initializer(name + ".weight", t.get(local + ".weight").toFloatArray(), channels),
                    graph.initializer(name + ".bias", t.get(local + ".bias").toFloatArray(), channels),
                    graph.initializer(
                            name + ".running_mean",
                            t.get(local + ".running_mean").toFloatArray(),
                            channels),
                    graph.initializer(
                            name + ".running_var", t.get(local + ".running_var").toFloatArray(), channels)
                },
                OnnxGraph.real("epsilon", DenseNet.BN_EPSILON));
    }
}
