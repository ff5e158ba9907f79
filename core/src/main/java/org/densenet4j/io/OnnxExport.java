package org.densenet4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.onnx.Onnx.ModelProto;
import org.densenet4j.io.onnx.Onnx.OperatorSetIdProto;
import org.densenet4j.io.onnx.Onnx.StringStringEntryProto;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseBlock;
import org.densenet4j.model.DenseLayer;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.Head;
import org.densenet4j.model.Stem;
import org.densenet4j.model.StemType;
import org.densenet4j.model.Transition;

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
 */
public final class OnnxExport {

    /** The ONNX operator set the graph uses. */
    public static final int OPSET = 17;
    /** ONNX IR version 8 (ONNX 1.10 and later), which opset 17 runtimes read. */
    static final int IR_VERSION = 8;

    private final OnnxGraph graph;
    private final boolean fold;

    private OnnxExport(String name, boolean fold) {
        this.graph = new OnnxGraph(name);
        this.fold = fold;
    }

    /**
     * Writes {@code model} to {@code file} atomically.
     *
     * @return the number of nodes in the graph
     */
    public static int write(TrainedModel model, boolean fold, Path file) throws IOException {
        ModelSpec spec = model.spec();
        OnnxExport export = new OnnxExport(spec.modelName(), fold);
        String logits = export.network(model.network(), spec);
        export.graph.output(logits, spec.config().classes());
        Gson gson = new Gson();
        ModelProto onnx = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName("densenet4j")
                .setProducerVersion("0.1.0")
                .setModelVersion(1)
                .setDocString(spec.modelName() + ": DenseNet (Huang et al., CVPR 2017), eval-mode logits"
                        + (fold ? ", BN folded into the convolutions it follows" : ""))
                .setGraph(export.graph.build())
                .addAllMetadataProps(metadata(Map.of(
                        "model", spec.modelName(),
                        "classes", gson.toJson(spec.classNames()),
                        "mean", gson.toJson(spec.normalization().mean()),
                        "std", gson.toJson(spec.normalization().std()),
                        "input", spec.channels() + "x" + spec.height() + "x" + spec.width(),
                        "preprocessing",
                                "resize to HxW, scale pixels to [0, 1], subtract mean, divide by std; "
                                        + (spec.channels() == 1 ? "grey" : "RGB") + " NCHW float32",
                        "folded", Boolean.toString(fold))))
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
        String x = graph.input("images", spec.channels(), spec.height(), spec.width());
        x = stem(net.stem(), x);
        for (int b = 0; b < net.denseBlocks().size(); b++) {
            x = block(net.denseBlocks().get(b), "features.denseblock" + (b + 1), x);
            if (b < net.transitions().size()) {
                x = transition(net.transitions().get(b), "features.transition" + (b + 1), x);
            }
        }
        return head(net.head(), x);
    }

    private String stem(Stem stem, String x) {
        boolean imagenet = stem.type() == StemType.IMAGENET;
        int kernel = imagenet ? 7 : 3;
        int stride = imagenet ? 2 : 1;
        int padding = imagenet ? 3 : 1;
        if (!imagenet) {
            return conv("features.conv0", x, weight(stem.conv()), null, kernel, stride, padding);
        }
        String y = fold
                ? convThenNorm("features.conv0", x, stem.conv(), stem.norm(), kernel, stride, padding)
                : norm(
                        "features.norm0",
                        conv("features.conv0", x, weight(stem.conv()), null, kernel, stride, padding),
                        stem.norm());
        y = graph.node("Relu", "features.relu0", new String[] {y});
        return graph.node(
                "MaxPool",
                "features.pool0",
                new String[] {y},
                OnnxGraph.ints("kernel_shape", 3, 3),
                OnnxGraph.ints("strides", 2, 2),
                OnnxGraph.ints("pads", 1, 1, 1, 1));
    }

    private String block(DenseBlock block, String name, String input) {
        String features = input;
        int j = 1;
        for (DenseLayer layer : block.layers()) {
            String prefix = name + ".denselayer" + j++;
            String y = graph.node(
                    "Relu", prefix + ".relu1", new String[] {norm(prefix + ".norm1", features, layer.norm1())});
            if (layer.isBottleneck()) {
                y = fold
                        ? convThenNorm(prefix + ".conv1", y, layer.conv1(), layer.norm2(), 1, 1, 0)
                        : norm(
                                prefix + ".norm2",
                                conv(prefix + ".conv1", y, weight(layer.conv1()), null, 1, 1, 0),
                                layer.norm2());
                y = graph.node("Relu", prefix + ".relu2", new String[] {y});
                y = conv(prefix + ".conv2", y, weight(layer.conv2()), null, 3, 1, 1);
            } else {
                y = conv(prefix + ".conv1", y, weight(layer.conv1()), null, 3, 1, 1);
            }
            String[] pieces = block.concatOrder() == ConcatOrder.INPUT_FIRST
                    ? new String[] {features, y}
                    : new String[] {y, features};
            features = graph.node("Concat", prefix + ".concat", pieces, OnnxGraph.integer("axis", 1));
        }
        return features;
    }

    private String transition(Transition t, String name, String x) {
        String y = graph.node("Relu", name + ".relu", new String[] {norm(name + ".norm", x, t.norm())});
        if (fold) { // pooling first: the 1x1 conv then sees a quarter of the pixels
            return conv(name + ".conv", pool(name + ".pool", y), weight(t.conv()), null, 1, 1, 0);
        }
        return pool(name + ".pool", conv(name + ".conv", y, weight(t.conv()), null, 1, 1, 0));
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
        String y = graph.node("Relu", "features.relu5", new String[] {norm("features.norm5", x, head.norm())});
        y = graph.node("GlobalAveragePool", "pool", new String[] {y});
        y = graph.node("Flatten", "flatten", new String[] {y}, OnnxGraph.integer("axis", 1));
        NDArray w = head.classifier().getParameters().get("weight").getArray();
        NDArray b = head.classifier().getParameters().get("bias").getArray();
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

    private String conv(String name, String x, NDArray weight, float[] bias, int kernel, int stride, int padding) {
        long[] dims = weight.getShape().getShape();
        String w = graph.initializer(name + ".weight", weight.toFloatArray(), dims);
        String[] inputs = bias == null
                ? new String[] {x, w}
                : new String[] {x, w, graph.initializer(name + ".bias", bias, dims[0])};
        return graph.node(
                "Conv",
                name,
                inputs,
                OnnxGraph.ints("kernel_shape", kernel, kernel),
                OnnxGraph.ints("strides", stride, stride),
                OnnxGraph.ints("pads", padding, padding, padding, padding));
    }

    /**
     * A convolution with the BN that follows it folded in: {@code s*(W*x) + t = (s*W)*x + t} per output channel,
     * with {@code s = gamma / sqrt(var + eps)} and {@code t = beta - mean * s}.
     */
    private String convThenNorm(
            String name, String x, Block conv, BatchNorm norm, int kernel, int stride, int padding) {
        NDArray weight = weight(conv);
        float[] w = weight.toFloatArray();
        float[][] st = scaleAndShift(norm);
        int outputs = (int) weight.getShape().get(0);
        int perOutput = w.length / outputs;
        for (int o = 0; o < outputs; o++) {
            for (int i = 0; i < perOutput; i++) {
                w[o * perOutput + i] *= st[0][o];
            }
        }
        try (NDArray folded = weight.getManager().create(w, weight.getShape())) {
            return conv(name, x, folded, st[1], kernel, stride, padding);
        }
    }

    private static float[][] scaleAndShift(BatchNorm norm) {
        float[] gamma = parameter(norm, "gamma");
        float[] beta = parameter(norm, "beta");
        float[] mean = parameter(norm, "runningMean");
        float[] var = parameter(norm, "runningVar");
        float[] s = new float[gamma.length];
        float[] t = new float[gamma.length];
        for (int c = 0; c < s.length; c++) {
            s[c] = (float) (gamma[c] / Math.sqrt(var[c] + DenseNet.BN_EPSILON));
            t[c] = beta[c] - mean[c] * s[c];
        }
        return new float[][] {s, t};
    }

    private String norm(String name, String x, BatchNorm norm) {
        long channels = norm.getParameters().get("gamma").getArray().size();
        return graph.node(
                "BatchNormalization",
                name,
                new String[] {
                    x,
                    graph.initializer(name + ".weight", parameter(norm, "gamma"), channels),
                    graph.initializer(name + ".bias", parameter(norm, "beta"), channels),
                    graph.initializer(name + ".running_mean", parameter(norm, "runningMean"), channels),
                    graph.initializer(name + ".running_var", parameter(norm, "runningVar"), channels)
                },
                OnnxGraph.real("epsilon", DenseNet.BN_EPSILON));
    }

    private static NDArray weight(Block block) {
        return block.getParameters().get("weight").getArray();
    }

    private static float[] parameter(Block block, String name) {
        return block.getParameters().get(name).getArray().toFloatArray();
    }
}
