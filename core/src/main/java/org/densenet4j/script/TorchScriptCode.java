package org.densenet4j.script;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.densenet4j.infer.Precision;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseLayer;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.Head;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.Stem;
import org.densenet4j.model.StemType;
import org.densenet4j.model.Transition;

/**
 * The TorchScript source densenet4j generates for a DenseNet, written for a person to read: one skeleton (the class,
 * a {@code forward} over the stem, dense blocks, transitions and head, then one method per kind of stage) in three
 * {@link Variant}s. Each stage reads its tensors in the order its stage gives them ({@link Stem#tensorNames} and the
 * like; the folded ones in {@link ScriptedWeights}' order), never by a number written here.
 *
 * <p>The code is generated, never read back: archives are read as data ({@link TorchScriptArchive}) and compiled again
 * with the code of this version, so a change here changes no archive's meaning. The golden texts in the tests pin it.
 */
public final class TorchScriptCode {

    /** Which code. */
    public enum Variant {
        /** The eval-mode network in float32, each stage's tensors a module attribute: PyTorch's own computation. */
        FLOAT32,
        /** The folded eval-mode network in bfloat16 (what densenet4j's own inference runs), float32 at the edges. */
        FOLDED_BF16,
        /**
         * The training-mode pass in bf16 mixed precision, as {@code torch.autocast("cpu", dtype=torch.bfloat16)}
         * computes it: convolutions and the classifier in bfloat16 (their float32 weights cast at use, so the master
         * weights and their gradients stay float32), feature maps in bfloat16 channels-last, BN with float32
         * parameters and running statistics, logits back in float32. The module holds no weights: {@code
         * forward(images, p)} takes the network's tensors as one flat list in {@link DenseNet#tensors} order, so
         * libtorch's autograd records the pass into the DJL parameters themselves; {@code part(x, p, where)} runs one
         * stem, dense layer, transition or head alone, float32 in and out, on that part's own tensors (the
         * memory-efficient step's unit).
         */
        TRAINING_BF16
    }

    /** What the training module's {@code part} computes: the stem, a dense layer, a transition or the head. */
    public enum Part {
        STEM,
        DENSE_LAYER,
        TRANSITION,
        HEAD
    }

    private final DenseNetConfig config;
    private final Variant variant;
    /** Per stage of {@link DenseNet#stages()}: whether it runs in training mode (the training variant only). */
    private final boolean[] trains;

    private final boolean imagenet;
    private final boolean bottleneck;
    private final boolean inputFirst;
    private final int blocks;
    /** BN's epsilon as the code writes it. */
    private final String eps;
    /** The tensors of each kind of stage, by name, in the order the variant's lists hold them. */
    private final List<String> stem;

    private final List<String> layer;
    private final List<String> transition;
    private final List<String> head;
    private final StringBuilder c = new StringBuilder();

    private TorchScriptCode(DenseNetConfig config, Variant variant, boolean[] trains) {
        this.config = config;
        this.variant = variant;
        this.trains = trains;
        this.imagenet = config.stem() == StemType.IMAGENET;
        this.bottleneck = config.layerType() == LayerType.BOTTLENECK;
        this.inputFirst = config.concatOrder() == ConcatOrder.INPUT_FIRST;
        this.blocks = config.blockLayers().length;
        this.eps = String.format(Locale.ROOT, "%s", (double) DenseNet.BN_EPSILON);
        if (variant == Variant.FOLDED_BF16) {
            this.stem = imagenet ? ScriptedWeights.FOLDED_STEM : List.of("conv0.weight");
            this.layer = bottleneck ? ScriptedWeights.FOLDED_BOTTLENECK : ScriptedWeights.FOLDED_BASIC;
            this.transition = ScriptedWeights.FOLDED_PRE_ACTIVATION;
            this.head = ScriptedWeights.FOLDED_PRE_ACTIVATION;
        } else {
            this.stem = Stem.tensorNames(config.stem());
            this.layer = DenseLayer.tensorNames(config.layerType());
            this.transition = Transition.tensorNames();
            this.head = Head.tensorNames();
        }
    }

    /** The code of an exported archive computing in {@code precision}: float32, or the folded network in bfloat16. */
    public static String of(DenseNetConfig config, Precision precision) {
        return new TorchScriptCode(config, precision == Precision.BF16 ? Variant.FOLDED_BF16 : Variant.FLOAT32, null)
                .write();
    }

    /**
     * The bf16 training module's code for {@code config}; {@code trains[i]} says whether stage {@code i} of {@link
     * DenseNet#stages()} runs in training mode (false for the stages a freeze keeps fixed).
     */
    public static String training(DenseNetConfig config, boolean[] trains) {
        return new TorchScriptCode(config, Variant.TRAINING_BF16, trains.clone()).write();
    }

    private String write() {
        header();
        forward();
        if (variant == Variant.TRAINING_BF16) {
            part();
        }
        helpers();
        stem();
        denseBlock();
        denseLayer();
        transition();
        head();
        return c.toString();
    }

    /** The class line and, for an archive, the module's attributes: a list of tensors per stage. */
    private void header() {
        line("class DenseNet(Module):");
        line("  __parameters__ = []");
        line("  __buffers__ = []");
        line("  training : bool");
        line("  _is_full_backward_hook : NoneType");
        if (training()) {
            return;
        }
        line("  stem_weights : List[Tensor]");
        for (int b = 1; b <= blocks; b++) {
            line("  denseblock" + b + " : List[List[Tensor]]");
            if (b < blocks) {
                line("  transition" + b + " : List[Tensor]");
            }
        }
        line("  head_weights : List[Tensor]");
    }

    /** One call per stage, in order; an archive passes each its attribute, the training module offsets in p. */
    private void forward() {
        if (training()) {
            method("forward", "images: Tensor", "p: List[Tensor]");
            line("    # bfloat16 (ScalarType 15) channels-last (MemoryFormat 2) maps inside, float32 (6) logits out");
            line("    x = torch.to(images, 15, False, False, 2)");
        } else {
            method("forward", "images: Tensor");
        }
        if (variant == Variant.FOLDED_BF16) {
            line(
                    "    # bfloat16 inside (ScalarType 15), float32 at the edges (6), channels-last maps (MemoryFormat 2);");
            line(
                    "    # the folded network: each BN-ReLU before a 1x1 conv or the classifier is a clamp plus that map's");
            line("    # weights and bias, each BN after a conv is in the conv, a dense block writes one buffer");
        }
        String input =
                switch (variant) {
                    case FLOAT32 -> "images";
                    case FOLDED_BF16 -> "torch.contiguous(torch.to(images, 15), memory_format=2)";
                    case TRAINING_BF16 -> "x";
                };
        List<String[]> calls = new ArrayList<>(); // method, attribute, offsets in p
        int at = stem.size();
        calls.add(new String[] {"stem", "stem_weights", ""});
        for (int b = 1; b <= blocks; b++) {
            int layers = config.blockLayers()[b - 1];
            calls.add(new String[] {"dense_block", "denseblock" + b, at + ", " + layers + ", "});
            at += layers * layer.size();
            if (b < blocks) {
                calls.add(new String[] {"transition", "transition" + b, at + ", "});
                at += transition.size();
            }
        }
        calls.add(new String[] {"head", "head_weights", at + ", "});
        for (int i = 0; i < calls.size(); i++) {
            String[] call = calls.get(i);
            String arguments = training() ? "p, " + call[2] + flag(trains[i]) : "self." + call[1];
            String result = "(self)." + call[0] + "(" + input + ", " + arguments + ", )";
            if (i == calls.size() - 1) {
                line("    return " + (variant == Variant.FLOAT32 ? result : "torch.to(" + result + ", 6)"));
            } else {
                input = training() ? "x" + i : "x";
                line("    " + input + " = " + result);
            }
        }
    }

    /** The training module's entry for one part alone. */
    private void part() {
        method("part", "x: Tensor", "p: List[Tensor]", "where: Tensor");
        line("    # one part alone, float32 in and out, for the memory-efficient step: p holds the part's own");
        line("    # tensors, where = [part, training], part 0 the stem, 1 a dense layer, 2 a transition, 3 the head");
        line("    kind = int(torch.select(where, 0, 0))");
        line("    training = bool(torch.select(where, 0, 1))");
        line("    y = torch.to(x, 15, False, False, 2)");
        line("    if torch.eq(kind, 0):");
        line("      z = (self).stem(y, p, training, )");
        line("    else:");
        line("      if torch.eq(kind, 1):");
        line("        z0 = (self).dense_layer(y, p, 0, training, )");
        line("      else:");
        line("        if torch.eq(kind, 2):");
        line("          z1 = (self).transition(y, p, 0, training, )");
        line("        else:");
        line("          z1 = (self).head(y, p, 0, training, )");
        line("        z0 = z1");
        line("      z = z0");
        line("    return torch.to(z, 6)");
    }

    /** What the stages share: BN-ReLU, or the folded network's clamp; the training module's convolution. */
    private void helpers() {
        switch (variant) {
            case FLOAT32 -> {
                method("norm_relu", "x: Tensor", "p: List[Tensor]", "at: int");
                line("    # eval-mode batch normalisation with the weights at p[at:at + 4], then ReLU");
                line("    normed = torch.batch_norm(x, p[at], p[at + 1], p[at + 2], p[at + 3], False, "
                        + "0.10000000000000001, " + eps + ", True)");
                line("    return torch.relu(normed)");
            }
            case FOLDED_BF16 -> {
                method("clamp", "x: Tensor", "lower: Tensor", "upper: Tensor");
                line("    # relu(bn(x)) = s * clamp(x) + b' per channel: the bounds (upper only where a BN scale is "
                        + "negative)");
                line("    y = torch.maximum(x, lower)");
                line("    if torch.gt(torch.numel(upper), 0):");
                line("      y0 = torch.minimum(y, upper)");
                line("    else:");
                line("      y0 = y");
                line("    return y0");
            }
            case TRAINING_BF16 -> {
                method("norm_relu", "x: Tensor", "p: List[Tensor]", "at: int", "training: bool");
                line("    # BN with the float32 weights, bias and running statistics at p[at:at + 4], then ReLU in "
                        + "place");
                line("    normed = torch.batch_norm(x, p[at], p[torch.add(at, 1)], p[torch.add(at, 2)], "
                        + "p[torch.add(at, 3)], training, 0.10000000000000001, " + eps + ", True)");
                line("    return torch.relu_(normed)");
                method("conv", "x: Tensor", "weight: Tensor", "stride: int", "padding: int", "training: bool");
                line("    # a bfloat16 convolution; the float32 weight is cast here, so its gradient comes back "
                        + "float32");
                line("    y = torch.conv2d(x, torch.to(weight, 15), None, [stride, stride], [padding, padding], "
                        + "[1, 1], 1)");
                if (config.dropRate() > 0) {
                    line("    if training:");
                    line("      y0 = torch.dropout(y, " + String.format(Locale.ROOT, "%s", config.dropRate())
                            + ", True)");
                    line("    else:");
                    line("      y0 = y");
                    line("    return y0");
                } else {
                    line("    return y");
                }
            }
        }
    }

    private void stem() {
        stageMethod("stem", false);
        if (!imagenet) {
            line("    # one 3x3 convolution");
            line("    return torch.conv2d(x, " + cast(tensor(stem, "conv0.weight", false))
                    + ", None, [1, 1], [1, 1], [1, 1], 1)");
        } else if (variant == Variant.FOLDED_BF16) {
            line("    # 7x7 stride-2 convolution with its BN folded in, ReLU, 3x3 stride-2 max-pool");
            line("    y = torch.relu(torch.conv2d(x, " + tensor(stem, "conv0.weight", false) + ", "
                    + tensor(stem, "conv0.bias", false) + ", [2, 2], [3, 3], [1, 1], 1))");
            line("    return torch.max_pool2d(y, [3, 3], [2, 2], [1, 1], [1, 1], False)");
        } else {
            line("    # 7x7 stride-2 convolution, BN-ReLU, 3x3 stride-2 max-pool");
            line("    y = torch.conv2d(x, " + cast(tensor(stem, "conv0.weight", false))
                    + ", None, [2, 2], [3, 3], [1, 1], 1)");
            line("    return torch.max_pool2d(" + normRelu("y", stem, "norm0", false)
                    + ", [3, 3], [2, 2], [1, 1], [1, 1], False)");
        }
    }

    private void denseBlock() {
        if (training()) {
            method("dense_block", "x: Tensor", "p: List[Tensor]", "at: int", "layers: int", "training: bool");
        } else {
            method("dense_block", "x: Tensor", "layers: List[List[Tensor]]");
        }
        if (variant == Variant.FOLDED_BF16) {
            foldedDenseBlock();
            return;
        }
        line(
                inputFirst
                        ? "    # each layer's k new maps join the block's maps after them (the paper's order)"
                        : "    # each layer's k new maps join the block's maps before them (the blog code's order)");
        line("    features = x");
        if (training()) {
            line("    for j in range(layers):");
            line("      added = (self).dense_layer(features, p, torch.add(at, torch.mul(j, " + layer.size()
                    + ")), training, )");
        } else {
            line("    for layer in layers:");
            line("      added = (self).dense_layer(features, layer, )");
        }
        line(
                inputFirst
                        ? "      features = torch.cat([features, added], 1)"
                        : "      features = torch.cat([added, features], 1)");
        line("    return features");
    }

    /** The folded block: one buffer every layer reads a prefix (or suffix) of and writes its k maps into. */
    private void foldedDenseBlock() {
        line(
                inputFirst
                        ? "    # one buffer: the block input first, then each layer's k maps after the ones it read"
                        : "    # one buffer: the block input last, each layer's k maps before the ones it read (blog "
                                + "code)");
        line("    c0 = torch.size(x, 1)");
        line("    k = torch.size(layers[0][" + layer.indexOf(bottleneck ? "conv2.weight" : "conv1.weight") + "], 0)");
        line("    total = torch.add(c0, torch.mul(torch.len(layers), k))");
        line("    buffer = torch.empty([torch.size(x, 0), total, torch.size(x, 2), torch.size(x, 3)], dtype=15, "
                + "layout=None, device=None, pin_memory=None, memory_format=2)");
        line(
                inputFirst
                        ? "    _0 = torch.copy_(torch.narrow(buffer, 1, 0, c0), x)"
                        : "    _0 = torch.copy_(torch.narrow(buffer, 1, torch.sub(total, c0), c0), x)");
        line("    for j in range(torch.len(layers)):");
        line("      seen = torch.add(c0, torch.mul(j, k))");
        if (inputFirst) {
            line("      added = (self).dense_layer(torch.narrow(buffer, 1, 0, seen), layers[j], )");
            line("      _1 = torch.copy_(torch.narrow(buffer, 1, seen, k), added)");
        } else {
            line(
                    "      added = (self).dense_layer(torch.narrow(buffer, 1, torch.sub(total, seen), seen), layers[j], )");
            line("      _1 = torch.copy_(torch.narrow(buffer, 1, torch.sub(torch.sub(total, seen), k), k), added)");
        }
        line("    return buffer");
    }

    private void denseLayer() {
        stageMethod("dense_layer", true);
        if (variant == Variant.FOLDED_BF16) {
            if (bottleneck) {
                line("    # clamp, 1x1 conv to the bottleneck width (both BNs folded in), ReLU, 3x3 conv to k maps");
                line("    narrow = torch.relu(torch.conv2d(" + clamp("x", layer) + ", " + tensor(layer, "weight", true)
                        + ", " + tensor(layer, "bias", true) + ", [1, 1], [0, 0], [1, 1], 1))");
                line("    return torch.conv2d(narrow, " + tensor(layer, "conv2.weight", true)
                        + ", None, [1, 1], [1, 1], [1, 1], 1)");
            } else {
                line("    # basic: BN (float32 statistics), ReLU, 3x3 conv to k maps (its padding keeps the BN apart)");
                line("    normed = torch.batch_norm(x, " + tensor(layer, "norm1.weight", true) + ", "
                        + tensor(layer, "norm1.bias", true) + ", " + tensor(layer, "norm1.running_mean", true) + ", "
                        + tensor(layer, "norm1.running_var", true) + ", False, 0.10000000000000001, " + eps
                        + ", True)");
                line("    return torch.conv2d(torch.relu(normed), " + tensor(layer, "conv1.weight", true)
                        + ", None, [1, 1], [1, 1], [1, 1], 1)");
            }
        } else if (bottleneck) {
            line("    # bottleneck: BN-ReLU-conv 1x1 to the bottleneck width, BN-ReLU-conv 3x3 to k maps");
            line("    narrow = " + conv(normRelu("x", layer, "norm1", true), layer, "conv1.weight", 0));
            line("    return " + conv(normRelu("narrow", layer, "norm2", true), layer, "conv2.weight", 1));
        } else {
            line("    # basic: BN-ReLU-conv 3x3 to k maps");
            line("    return " + conv(normRelu("x", layer, "norm1", true), layer, "conv1.weight", 1));
        }
    }

    private void transition() {
        stageMethod("transition", true);
        String pool = ", [2, 2], [2, 2], [0, 0], False, True, None)";
        if (variant == Variant.FOLDED_BF16) {
            line("    # clamp, 2x2 average pool, then the 1x1 convolution (pooling first: they commute)");
            line("    pooled = torch.avg_pool2d(" + clamp("x", transition) + pool);
            line("    return torch.conv2d(pooled, " + tensor(transition, "weight", true) + ", "
                    + tensor(transition, "bias", true) + ", [1, 1], [0, 0], [1, 1], 1)");
        } else if (training() && config.dropRate() == 0) {
            line("    # BN-ReLU, 2x2 average pool, 1x1 convolution (pooling first: they commute)");
            line("    y = torch.avg_pool2d(" + normRelu("x", transition, "norm", true) + pool);
            line("    return " + conv("y", transition, "conv.weight", 0));
        } else {
            line(
                    training()
                            ? "    # BN-ReLU, 1x1 convolution (compression), dropout, 2x2 average pool"
                            : "    # BN-ReLU, 1x1 convolution (compression), 2x2 average pool");
            line("    y = " + conv(normRelu("x", transition, "norm", true), transition, "conv.weight", 0));
            line("    return torch.avg_pool2d(y" + pool);
        }
    }

    private void head() {
        stageMethod("head", true);
        String weight;
        String bias;
        if (variant == Variant.FOLDED_BF16) {
            line("    # clamp, global average pooling, the classifier with the head BN folded in");
            line("    pooled = torch.adaptive_avg_pool2d(" + clamp("x", head) + ", [1, 1])");
            weight = tensor(head, "weight", true);
            bias = tensor(head, "bias", true);
        } else {
            line(
                    training()
                            ? "    # BN-ReLU, global average pooling, the bfloat16 linear classifier"
                            : "    # BN-ReLU, global average pooling, linear classifier");
            line("    pooled = torch.adaptive_avg_pool2d(" + normRelu("x", head, "norm5", true) + ", [1, 1])");
            weight = cast(tensor(head, "classifier.weight", true));
            bias = cast(tensor(head, "classifier.bias", true));
        }
        line("    return torch.linear(torch.flatten(pooled, 1), " + weight + ", " + bias + ")");
    }

    /**
     * A stage's method line: {@code (x, p)} in an archive; {@code (x, p, training)} for the training module's stem,
     * which sits at the start of p, and {@code (x, p, at, training)} for a stage at offset {@code at}.
     */
    private void stageMethod(String name, boolean offset) {
        if (!training()) {
            method(name, "x: Tensor", "p: List[Tensor]");
        } else if (offset) {
            method(name, "x: Tensor", "p: List[Tensor]", "at: int", "training: bool");
        } else {
            method(name, "x: Tensor", "p: List[Tensor]", "training: bool");
        }
    }

    /** The tensor called {@code name} of a stage's list {@code p}; at {@code at} onwards in the training module. */
    private String tensor(List<String> part, String name, boolean offset) {
        int i = part.indexOf(name);
        if (i < 0) {
            throw new IllegalStateException("no tensor " + name + " in " + part);
        }
        return training() && offset ? "p[torch.add(at, " + i + ")]" : "p[" + i + "]";
    }

    /** BN-ReLU of {@code x} with the BN called {@code norm} of the stage. */
    private String normRelu(String x, List<String> part, String norm, boolean offset) {
        int i = part.indexOf(norm + ".weight");
        String where = !training() || !offset ? Integer.toString(i) : i == 0 ? "at" : "torch.add(at, " + i + ")";
        return "(self).norm_relu(" + x + ", p, " + where + ", " + (training() ? "training, " : "") + ")";
    }

    /** The folded network's clamp of {@code x} with the stage's bounds. */
    private String clamp(String x, List<String> part) {
        return "(self).clamp(" + x + ", " + tensor(part, "lower", true) + ", " + tensor(part, "upper", true) + ", )";
    }

    /** A stride-1 convolution of {@code x} with the stage's {@code weight}, padded by {@code padding}. */
    private String conv(String x, List<String> part, String weight, int padding) {
        return training()
                ? "(self).conv(" + x + ", " + tensor(part, weight, true) + ", 1, " + padding + ", training, )"
                : "torch.conv2d(" + x + ", " + tensor(part, weight, true) + ", None, [1, 1], [" + padding + ", "
                        + padding + "], [1, 1], 1)";
    }

    /** A weight as a bfloat16 convolution or classifier in the training module uses it: cast at use. */
    private String cast(String tensor) {
        return training() ? "torch.to(" + tensor + ", 15)" : tensor;
    }

    /** {@code def name(self, params...) -> Tensor:}, one parameter a line. */
    private void method(String name, String... parameters) {
        c.append("  def ").append(name).append("(self: __torch__.DenseNet,\n    ");
        c.append(String.join(",\n    ", parameters)).append(") -> Tensor:\n");
    }

    private boolean training() {
        return variant == Variant.TRAINING_BF16;
    }

    private void line(String text) {
        c.append(text).append('\n');
    }

    private static String flag(boolean b) {
        return b ? "True" : "False";
    }
}
