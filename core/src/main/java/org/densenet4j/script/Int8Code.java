package org.densenet4j.script;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.StemType;

/**
 * The TorchScript source of densenet4j's int8 DenseNet, and of the float32 twin that calibrates it.
 *
 * <p>The int8 module quantizes the float32 images (uint8, one scale per tensor, channels-last), runs every
 * convolution as libtorch's {@code quantized::conv2d} (int8 weights, per output channel and symmetric, prepacked by
 * the module at its first forward and kept in {@code packed}), each pre-activation BN-ReLU as
 * {@code quantized::batch_norm2d_relu}; each dense block writes one quint8 buffer at the block's scale (its input, then
 * every layer's k maps, each layer reading the maps before its own, as the folded float network does), and hands
 * back float32 logits (the global average of the last maps is dequantized before the classifier, which stays
 * float32). Only float32 crosses the module's boundary, so DJL (whose JNI has no quantized types) can run it.
 * {@code explain(images)} returns the same logits and the final maps in float32, for class activation maps.
 *
 * <p>Every place where a map is quantized is a <em>point</em> with its own scale and zero point: the input; one per
 * dense block, shared by the block's input and every map its layers add (so that concatenation does not
 * requantize); per dense layer the output of its BN-ReLU and, for a bottleneck, of its 1x1 convolution; per
 * transition and for the head the output of their BN-ReLU. The calibration twin computes the same network in
 * float32 and returns the minimum and maximum of every map at every point ({@link #calibration}).
 */
final class Int8Code {

    private final boolean imagenet;
    private final boolean bottleneck;
    private final boolean inputFirst;
    /** BN's epsilon as the code writes it. */
    private final String eps;

    private final int[] layers;
    private final int growth;
    private final StringBuilder c = new StringBuilder();
    /** Per point, its name; filled while the code is written, in the same order for both modules. */
    private final List<String> points = new ArrayList<>();
    /** Per record of the calibration module's output, the point it belongs to. */
    private final List<Integer> records = new ArrayList<>();

    private Int8Code(DenseNetConfig config) {
        // As TorchScriptCode reads them: the stem, the layer type, the concatenation order, BN's epsilon.
        this.imagenet = config.stem() == StemType.IMAGENET;
        this.bottleneck = config.layerType() == LayerType.BOTTLENECK;
        this.inputFirst = config.concatOrder() == ConcatOrder.INPUT_FIRST;
        this.eps = String.format(Locale.ROOT, "%s", (double) DenseNet.BN_EPSILON);
        this.layers = config.blockLayers().clone();
        this.growth = config.growthRate();
    }

    /** The points of {@code config}'s int8 network, by name, in the order {@link Int8Calibration} holds them. */
    static List<String> points(DenseNetConfig config) {
        Int8Code code = new Int8Code(config);
        code.calibrationCode();
        return List.copyOf(code.points);
    }

    /** The int8 module's code for {@code config}, with the scales and zero points of {@code calibration}. */
    static String int8(DenseNetConfig config, Int8Calibration calibration) {
        return new Int8Code(config).int8Code(calibration);
    }

    /**
     * The float32 calibration module: {@code forward(images)} returns a (records, 2) tensor of minima and maxima;
     * {@link Calibration#recordPoints} says which point each row belongs to.
     */
    static Calibration calibration(DenseNetConfig config) {
        Int8Code code = new Int8Code(config);
        String source = code.calibrationCode();
        return new Calibration(
                source, code.records.stream().mapToInt(Integer::intValue).toArray(), code.points.size());
    }

    /**
     * The calibration module's source and the point of each row of its output.
     *
     * @param source the TorchScript code
     * @param recordPoints per output row, the index of its point
     * @param points how many points there are
     */
    record Calibration(String source, int[] recordPoints, int points) {}

    private int point(String name) {
        points.add(name);
        return points.size() - 1;
    }

    private void header() {
        c.append("class DenseNet(Module):\n");
        c.append("  __parameters__ = []\n");
        c.append("  __buffers__ = []\n");
        c.append("  training : bool\n");
        c.append("  _is_full_backward_hook : NoneType\n");
        c.append("  conv_weights : List[Tensor]\n");
        c.append("  conv_biases : List[Tensor]\n");
        c.append("  norms : List[List[Tensor]]\n");
        c.append("  classifier : List[Tensor]\n");
        c.append("  packed : List[__torch__.torch.classes.quantized.Conv2dPackedParamsBase]\n");
    }

    // ---- the int8 module ----

    private String int8Code(Int8Calibration q) {
        header();
        c.append("  def forward(self: __torch__.DenseNet,\n    images: Tensor) -> Tensor:\n");
        c.append("    # int8 inside (quint8 maps, qint8 weights), float32 at the edges\n");
        c.append("    return (self).classify((self).features(images, ), )\n");
        c.append("  def explain(self: __torch__.DenseNet,\n    images: Tensor) -> Tuple[Tensor, Tensor]:\n");
        c.append("    # the logits forward computes, and the final maps in float32 (N, C, h, w) for class activation "
                + "maps\n");
        c.append("    a = (self).features(images, )\n");
        c.append("    return ((self).classify(a, ), torch.contiguous(torch.dequantize(a)))\n");
        c.append("  def classify(self: __torch__.DenseNet,\n    a: Tensor) -> Tensor:\n");
        c.append("    # global average pooling of the final quint8 maps, then the classifier in float32\n");
        c.append("    pooled = torch.dequantize(torch.adaptive_avg_pool2d(a, [1, 1]))\n");
        c.append("    return torch.linear(torch.flatten(pooled, 1), self.classifier[0], self.classifier[1])\n");
        c.append("  def features(self: __torch__.DenseNet,\n    images: Tensor) -> Tensor:\n");
        c.append("    # the final maps after the head's BN-ReLU, quint8 and channels-last\n");
        c.append("    if torch.eq(torch.len(self.packed), 0):\n");
        c.append("      _0 = (self).prepack()\n");
        c.append("    else:\n");
        c.append("      pass\n");
        c.append("    w = self.packed\n");
        c.append("    n = self.norms\n");
        int input = point("input");
        c.append("    x = torch.quantize_per_tensor(torch.contiguous(images, memory_format=2), ")
                .append(qparams(q, input))
                .append(", 13)\n");
        int conv = 0;
        int norm = 0;
        int block = point("block1");
        if (imagenet) {
            c.append("    # 7x7 stride-2 convolution with its BN folded in, ReLU, 3x3 stride-2 max-pool\n");
            c.append("    y = ops.quantized.conv2d_relu(x, w[0], ")
                    .append(qparams(q, block))
                    .append(")\n");
            c.append("    x = torch.max_pool2d(y, [3, 3], [2, 2], [1, 1], [1, 1], False)\n");
        } else {
            c.append("    # one 3x3 convolution\n");
            c.append("    x = ops.quantized.conv2d(x, w[0], ")
                    .append(qparams(q, block))
                    .append(")\n");
        }
        conv++;
        for (int b = 1; b <= layers.length; b++) {
            int added = layers[b - 1] * growth;
            c.append("    # dense block ")
                    .append(b)
                    .append(": one quint8 buffer at the block's scale; each layer reads the maps before it and "
                            + "writes its k maps into it\n");
            c.append("    c0 = torch.size(x, 1)\n");
            c.append("    total = torch.add(c0, ").append(added).append(")\n");
            c.append("    buffer = torch._empty_affine_quantized([torch.size(x, 0), total, torch.size(x, 2), "
                            + "torch.size(x, 3)], dtype=13, layout=None, device=None, pin_memory=None, scale=")
                    .append(Double.toString(q.scale(block)))
                    .append(", zero_point=")
                    .append(q.zeroPoint(block))
                    .append(", memory_format=2)\n");
            c.append(
                    inputFirst
                            ? "    _1 = torch.copy_(torch.narrow(buffer, 1, 0, c0), x)\n"
                            : "    _1 = torch.copy_(torch.narrow(buffer, 1, " + added + ", c0), x)\n");
            for (int l = 1; l <= layers[b - 1]; l++) {
                int normed = point("block" + b + ".layer" + l + ".norm");
                int before = (l - 1) * growth; // maps the layers before this one added
                String read = inputFirst
                        ? "torch.narrow(buffer, 1, 0, torch.add(c0, " + before + "))"
                        : "torch.narrow(buffer, 1, " + (added - before) + ", torch.add(c0, " + before + "))";
                String write = inputFirst
                        ? "torch.narrow(buffer, 1, torch.add(c0, " + before + "), " + growth + ")"
                        : "torch.narrow(buffer, 1, " + (added - before - growth) + ", " + growth + ")";
                c.append("    _1 = torch.copy_(").append(write).append(", ");
                if (bottleneck) {
                    int narrow = point("block" + b + ".layer" + l + ".bottleneck");
                    c.append("(self).bottleneck_layer(")
                            .append(read)
                            .append(", n[")
                            .append(norm++)
                            .append("], w[")
                            .append(conv++)
                            .append("], w[")
                            .append(conv++)
                            .append("], ")
                            .append(qparams(q, normed))
                            .append(", ")
                            .append(qparams(q, narrow))
                            .append(", ")
                            .append(qparams(q, block))
                            .append("))\n");
                } else {
                    c.append("(self).basic_layer(")
                            .append(read)
                            .append(", n[")
                            .append(norm++)
                            .append("], w[")
                            .append(conv++)
                            .append("], ")
                            .append(qparams(q, normed))
                            .append(", ")
                            .append(qparams(q, block))
                            .append("))\n");
                }
            }
            c.append("    x = buffer\n");
            if (b < layers.length) {
                int normed = point("transition" + b + ".norm");
                block = point("block" + (b + 1));
                c.append("    x = (self).transition(x, n[")
                        .append(norm++)
                        .append("], w[")
                        .append(conv++)
                        .append("], ")
                        .append(qparams(q, normed))
                        .append(", ")
                        .append(qparams(q, block))
                        .append(")\n");
            }
        }
        int head = point("head.norm");
        c.append("    # the head's BN-ReLU\n");
        c.append("    a = ops.quantized.batch_norm2d_relu(x, n[")
                .append(norm)
                .append("][0], n[")
                .append(norm)
                .append("][1], n[")
                .append(norm)
                .append("][2], n[")
                .append(norm)
                .append("][3], ")
                .append(eps)
                .append(", ")
                .append(qparams(q, head))
                .append(")\n");
        c.append("    return a\n");
        prepack();
        normRelu();
        if (bottleneck) {
            c.append("  def bottleneck_layer(self: __torch__.DenseNet,\n    x: Tensor,\n    norm: List[Tensor],\n")
                    .append(packedParam("narrow"))
                    .append(packedParam("conv"))
                    .append("    norm_scale: float,\n    norm_zero: int,\n    narrow_scale: float,\n")
                    .append("    narrow_zero: int,\n    scale: float,\n    zero: int) -> Tensor:\n");
            c.append("    # BN-ReLU, 1x1 conv (the second BN folded in) with ReLU, 3x3 conv to k maps at the block's "
                    + "scale\n");
            c.append("    a = (self).norm_relu(x, norm, norm_scale, norm_zero, )\n");
            c.append("    y = ops.quantized.conv2d_relu(a, narrow, narrow_scale, narrow_zero)\n");
            c.append("    return ops.quantized.conv2d(y, conv, scale, zero)\n");
        } else {
            c.append("  def basic_layer(self: __torch__.DenseNet,\n    x: Tensor,\n    norm: List[Tensor],\n")
                    .append(packedParam("conv"))
                    .append("    norm_scale: float,\n    norm_zero: int,\n    scale: float,\n    zero: int) -> "
                            + "Tensor:\n");
            c.append("    # BN-ReLU, 3x3 conv to k maps at the block's scale\n");
            c.append("    a = (self).norm_relu(x, norm, norm_scale, norm_zero, )\n");
            c.append("    return ops.quantized.conv2d(a, conv, scale, zero)\n");
        }
        c.append("  def transition(self: __torch__.DenseNet,\n    x: Tensor,\n    norm: List[Tensor],\n")
                .append(packedParam("conv"))
                .append("    norm_scale: float,\n    norm_zero: int,\n    scale: float,\n    zero: int) -> Tensor:\n");
        c.append("    # BN-ReLU, 2x2 average pool, then the 1x1 convolution (pooling first: they commute)\n");
        c.append("    a = (self).norm_relu(x, norm, norm_scale, norm_zero, )\n");
        c.append("    pooled = torch.avg_pool2d(a, [2, 2], [2, 2], [0, 0], False, True, None)\n");
        c.append("    return ops.quantized.conv2d(pooled, conv, scale, zero)\n");
        return c.toString();
    }

    private static String packedParam(String name) {
        return "    " + name + ": __torch__.torch.classes.quantized.Conv2dPackedParamsBase,\n";
    }

    private void normRelu() {
        c.append("  def norm_relu(self: __torch__.DenseNet,\n    x: Tensor,\n    norm: List[Tensor],\n"
                + "    scale: float,\n    zero: int) -> Tensor:\n");
        c.append("    return ops.quantized.batch_norm2d_relu(x, norm[0], norm[1], norm[2], norm[3], ")
                .append(eps)
                .append(", scale, zero)\n");
    }

    /** Quantizes each convolution's weight per output channel, symmetrically, and prepacks it for libtorch. */
    private void prepack() {
        c.append("  def prepack(self: __torch__.DenseNet) -> NoneType:\n");
        c.append("    # int8 weights: per output channel, scale = max |w| / 127, zero point 0\n");
        c.append("    weights = self.conv_weights\n");
        c.append("    for i in range(torch.len(weights)):\n");
        c.append("      weight = weights[i]\n");
        c.append(
                "      scales = torch.div(torch.clamp_min(torch.amax(torch.abs(weight), [1, 2, 3]), 1.0e-12), 127.)\n");
        c.append("      q = torch.quantize_per_channel(weight, scales, torch.zeros_like(scales, dtype=4), 0, 12)\n");
        c.append("      padding = torch.floordiv(torch.sub(torch.size(weight, 3), 1), 2)\n");
        if (imagenet) {
            c.append("      if torch.eq(i, 0):\n");
            c.append("        stride = 2\n");
            c.append("      else:\n");
            c.append("        stride = 1\n");
        } else {
            c.append("      stride = 1\n");
        }
        c.append("      packed = ops.quantized.conv2d_prepack(q, self.conv_biases[i], [stride, stride], "
                + "[padding, padding], [1, 1], 1)\n");
        c.append("      _0 = torch.append(self.packed, packed)\n");
        c.append("    return None\n");
    }

    private static String qparams(Int8Calibration q, int point) {
        return String.format(Locale.ROOT, "%s, %d", Double.toString(q.scale(point)), q.zeroPoint(point));
    }

    // ---- the float32 calibration twin ----

    private String calibrationCode() {
        header();
        c.append("  def forward(self: __torch__.DenseNet,\n    images: Tensor) -> Tensor:\n");
        c.append("    # the int8 network in float32; each row of the result is (min, max) of a map at a point\n");
        c.append("    w = self.conv_weights\n");
        c.append("    bias = self.conv_biases\n");
        c.append("    n = self.norms\n");
        c.append("    r = annotate(List[Tensor], [])\n");
        c.append("    x = torch.contiguous(images, memory_format=2)\n");
        record("x", point("input"));
        int conv = 0;
        int norm = 0;
        int block = point("block1");
        if (imagenet) {
            c.append("    y = torch.relu(torch.conv2d(x, w[0], bias[0], [2, 2], [3, 3], [1, 1], 1))\n");
            record("y", block);
            c.append("    x = torch.max_pool2d(y, [3, 3], [2, 2], [1, 1], [1, 1], False)\n");
        } else {
            c.append("    x = torch.conv2d(x, w[0], bias[0], [1, 1], [1, 1], [1, 1], 1)\n");
            record("x", block);
        }
        conv++;
        for (int b = 1; b <= layers.length; b++) {
            for (int l = 1; l <= layers[b - 1]; l++) {
                int normed = point("block" + b + ".layer" + l + ".norm");
                c.append("    a = (self).norm_relu(x, n[").append(norm++).append("], )\n");
                record("a", normed);
                if (bottleneck) {
                    int narrow = point("block" + b + ".layer" + l + ".bottleneck");
                    c.append("    a = torch.relu(torch.conv2d(a, w[")
                            .append(conv)
                            .append("], bias[")
                            .append(conv)
                            .append("], [1, 1], [0, 0], [1, 1], 1))\n");
                    conv++;
                    record("a", narrow);
                }
                c.append("    added = torch.conv2d(a, w[")
                        .append(conv)
                        .append("], bias[")
                        .append(conv)
                        .append("], [1, 1], [1, 1], [1, 1], 1)\n");
                conv++;
                record("added", block);
                c.append(inputFirst ? "    x = torch.cat([x, added], 1)\n" : "    x = torch.cat([added, x], 1)\n");
            }
            if (b < layers.length) {
                int normed = point("transition" + b + ".norm");
                block = point("block" + (b + 1));
                c.append("    a = (self).norm_relu(x, n[").append(norm++).append("], )\n");
                record("a", normed);
                c.append("    a = torch.avg_pool2d(a, [2, 2], [2, 2], [0, 0], False, True, None)\n");
                c.append("    x = torch.conv2d(a, w[")
                        .append(conv)
                        .append("], bias[")
                        .append(conv)
                        .append("], [1, 1], [0, 0], [1, 1], 1)\n");
                conv++;
                record("x", block);
            }
        }
        int head = point("head.norm");
        c.append("    a = (self).norm_relu(x, n[").append(norm).append("], )\n");
        record("a", head);
        c.append("    return torch.stack(r)\n");
        c.append("  def norm_relu(self: __torch__.DenseNet,\n    x: Tensor,\n    norm: List[Tensor]) -> Tensor:\n");
        c.append("    return torch.relu(torch.batch_norm(x, norm[0], norm[1], norm[2], norm[3], False, "
                        + "0.10000000000000001, ")
                .append(eps)
                .append(", True))\n");
        return c.toString();
    }

    private void record(String variable, int point) {
        c.append("    _")
                .append(records.size())
                .append(" = torch.append(r, torch.stack([torch.min(")
                .append(variable)
                .append("), torch.max(")
                .append(variable)
                .append(")]))\n");
        records.add(point);
    }
}
