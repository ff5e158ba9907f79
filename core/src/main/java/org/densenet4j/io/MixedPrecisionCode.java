package org.densenet4j.io;

import java.util.Locale;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.StemType;

/**
 * The TorchScript source of a DenseNet's training-mode forward pass in bf16 mixed precision, as
 * {@code torch.autocast("cpu", dtype=torch.bfloat16)} computes it: convolutions and the classifier in bfloat16
 * (their float32 weights cast at use, so the master weights and their gradients stay float32), feature maps in
 * bfloat16 channels-last, batch normalisation with float32 parameters and running statistics (libtorch's
 * mixed-type BN accumulates in float32), logits back in float32 for the loss.
 *
 * <p>The module holds no weights: {@code forward(images, p)} takes the network's tensors as one flat list in
 * {@link TorchScriptExport#stateTensors} order, so libtorch's autograd records the pass into the DJL parameters
 * themselves and training-mode BN updates their running statistics in place. Stages that fine-tuning keeps fixed
 * run in eval mode, as {@link DenseNet#freeze} says. {@code part(x, p, where)} runs one stem, dense layer,
 * transition or head alone, float32 in and out, on that part's own tensors: the memory-efficient step's unit.
 */
public final class MixedPrecisionCode {

    private MixedPrecisionCode() {}

    /** What {@code part} computes: the stem, a dense layer, a transition or the head. */
    enum Part {
        STEM,
        DENSE_LAYER,
        TRANSITION,
        HEAD
    }

    /**
     * Where each part's tensors start in the flat list: the stem at 0, layer j of block b at
     * {@code blocks[b] + j * layerSize}, transition b at {@code transitions[b]}, the head at {@code head}.
     */
    private record Offsets(int[] blocks, int[] transitions, int head, int layerSize) {

        static Offsets of(DenseNetConfig config) {
            int layerSize = config.layerType() == LayerType.BOTTLENECK ? 10 : 5;
            int[] layers = config.blockLayers();
            int[] blocks = new int[layers.length];
            int[] transitions = new int[layers.length - 1];
            int at = config.stem() == StemType.IMAGENET ? 5 : 1;
            for (int b = 0; b < layers.length; b++) {
                blocks[b] = at;
                at += layers[b] * layerSize;
                if (b < transitions.length) {
                    transitions[b] = at;
                    at += 5;
                }
            }
            return new Offsets(blocks, transitions, at, layerSize);
        }
    }

    /**
     * The module's code for {@code config}; {@code trains[i]} says whether stage {@code i} of
     * {@link DenseNet#stages()} runs in training mode (false for the stages a freeze keeps fixed).
     */
    public static String of(DenseNetConfig config, boolean[] trains) {
        CodeSettings settings = CodeSettings.of(config);
        int[] layers = config.blockLayers();
        Offsets offsets = Offsets.of(config);
        int layerSize = offsets.layerSize();
        String drop = String.format(Locale.ROOT, "%s", config.dropRate());
        boolean dropout = config.dropRate() > 0;
        StringBuilder c = new StringBuilder();
        c.append("class DenseNet(Module):\n");
        c.append("  __parameters__ = []\n");
        c.append("  __buffers__ = []\n");
        c.append("  training : bool\n");
        c.append("  _is_full_backward_hook : NoneType\n");
        c.append("  def forward(self: __torch__.DenseNet,\n    images: Tensor,\n    p: List[Tensor]) -> Tensor:\n");
        c.append("    # bfloat16 (ScalarType 15) channels-last (MemoryFormat 2) maps inside, float32 (6) logits out\n");
        c.append("    x = torch.to(images, 15, False, False, 2)\n");
        int stage = 0;
        c.append("    x0 = (self).stem(x, p, ").append(flag(trains[stage++])).append(", )\n");
        for (int b = 0; b < layers.length; b++) {
            c.append("    x")
                    .append(2 * b + 1)
                    .append(" = (self).dense_block(x")
                    .append(2 * b)
                    .append(", p, ");
            c.append(offsets.blocks()[b]).append(", ").append(layers[b]).append(", ");
            c.append(flag(trains[stage++])).append(", )\n");
            if (b < layers.length - 1) {
                c.append("    x")
                        .append(2 * b + 2)
                        .append(" = (self).transition(x")
                        .append(2 * b + 1);
                c.append(", p, ").append(offsets.transitions()[b]).append(", ").append(flag(trains[stage++]));
                c.append(", )\n");
            }
        }
        c.append("    return torch.to((self).head(x")
                .append(2 * layers.length - 1)
                .append(", p, ")
                .append(offsets.head())
                .append(", ")
                .append(flag(trains[stage]))
                .append(", ), 6)\n");
        c.append("  def part(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor],\n    where: Tensor) -> "
                + "Tensor:\n");
        c.append("    # one part alone, float32 in and out, for the memory-efficient step: p holds the part's own\n");
        c.append(
                "    # tensors, where = [part, training], part 0 the stem, 1 a dense layer, 2 a transition, 3 the head\n");
        c.append("    kind = int(torch.select(where, 0, 0))\n");
        c.append("    training = bool(torch.select(where, 0, 1))\n");
        c.append("    y = torch.to(x, 15, False, False, 2)\n");
        c.append("    if torch.eq(kind, 0):\n");
        c.append("      z = (self).stem(y, p, training, )\n");
        c.append("    else:\n");
        c.append("      if torch.eq(kind, 1):\n");
        c.append("        z0 = (self).dense_layer(y, p, 0, training, )\n");
        c.append("      else:\n");
        c.append("        if torch.eq(kind, 2):\n");
        c.append("          z1 = (self).transition(y, p, 0, training, )\n");
        c.append("        else:\n");
        c.append("          z1 = (self).head(y, p, 0, training, )\n");
        c.append("        z0 = z1\n");
        c.append("      z = z0\n");
        c.append("    return torch.to(z, 6)\n");

        c.append("  def norm_relu(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor],\n    at: int,\n"
                + "    training: bool) -> Tensor:\n");
        c.append(
                "    # BN with the float32 weights, bias and running statistics at p[at:at + 4], then ReLU in place\n");
        c.append("    normed = torch.batch_norm(x, p[at], p[torch.add(at, 1)], p[torch.add(at, 2)], "
                + "p[torch.add(at, 3)], training, 0.10000000000000001, " + settings.eps() + ", True)\n");
        c.append("    return torch.relu_(normed)\n");
        c.append("  def conv(self: __torch__.DenseNet,\n    x: Tensor,\n    weight: Tensor,\n    stride: int,\n"
                + "    padding: int,\n    training: bool) -> Tensor:\n");
        c.append("    # a bfloat16 convolution; the float32 weight is cast here, so its gradient comes back float32\n");
        c.append(
                "    y = torch.conv2d(x, torch.to(weight, 15), None, [stride, stride], [padding, padding], [1, 1], 1)\n");
        if (dropout) {
            c.append("    if training:\n");
            c.append("      y0 = torch.dropout(y, " + drop + ", True)\n");
            c.append("    else:\n");
            c.append("      y0 = y\n");
            c.append("    return y0\n");
        } else {
            c.append("    return y\n");
        }

        c.append("  def stem(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor],\n    training: bool) -> "
                + "Tensor:\n");
        if (settings.imagenet()) {
            c.append("    # 7x7 stride-2 convolution, BN-ReLU, 3x3 stride-2 max-pool\n");
            c.append("    y = torch.conv2d(x, torch.to(p[0], 15), None, [2, 2], [3, 3], [1, 1], 1)\n");
            c.append("    return torch.max_pool2d((self).norm_relu(y, p, 1, training, ), [3, 3], [2, 2], [1, 1], "
                    + "[1, 1], False)\n");
        } else {
            c.append("    # one 3x3 convolution\n");
            c.append("    return torch.conv2d(x, torch.to(p[0], 15), None, [1, 1], [1, 1], [1, 1], 1)\n");
        }

        c.append("  def dense_block(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor],\n    at: int,\n"
                + "    layers: int,\n    training: bool) -> Tensor:\n");
        c.append(
                settings.inputFirst()
                        ? "    # each layer's k new maps join the block's maps after them (the paper's order)\n"
                        : "    # each layer's k new maps join the block's maps before them (the blog code's order)\n");
        c.append("    features = x\n");
        c.append("    for j in range(layers):\n");
        c.append("      added = (self).dense_layer(features, p, torch.add(at, torch.mul(j, ")
                .append(layerSize)
                .append(")), training, )\n");
        c.append(
                settings.inputFirst()
                        ? "      features = torch.cat([features, added], 1)\n"
                        : "      features = torch.cat([added, features], 1)\n");
        c.append("    return features\n");

        c.append("  def dense_layer(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor],\n    at: int,\n"
                + "    training: bool) -> Tensor:\n");
        if (settings.bottleneck()) {
            c.append("    # bottleneck: BN-ReLU-conv 1x1 to the bottleneck width, BN-ReLU-conv 3x3 to k maps\n");
            c.append("    narrow = (self).conv((self).norm_relu(x, p, at, training, ), p[torch.add(at, 4)], 1, 0, "
                    + "training, )\n");
            c.append("    return (self).conv((self).norm_relu(narrow, p, torch.add(at, 5), training, ), "
                    + "p[torch.add(at, 9)], 1, 1, training, )\n");
        } else {
            c.append("    # basic: BN-ReLU-conv 3x3 to k maps\n");
            c.append("    return (self).conv((self).norm_relu(x, p, at, training, ), p[torch.add(at, 4)], 1, 1, "
                    + "training, )\n");
        }

        c.append("  def transition(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor],\n    at: int,\n"
                + "    training: bool) -> Tensor:\n");
        if (dropout) {
            c.append("    # BN-ReLU, 1x1 convolution (compression), dropout, 2x2 average pool\n");
            c.append(
                    "    y = (self).conv((self).norm_relu(x, p, at, training, ), p[torch.add(at, 4)], 1, 0, training, )\n");
            c.append("    return torch.avg_pool2d(y, [2, 2], [2, 2], [0, 0], False, True, None)\n");
        } else {
            c.append("    # BN-ReLU, 2x2 average pool, 1x1 convolution (pooling first: they commute)\n");
            c.append("    y = torch.avg_pool2d((self).norm_relu(x, p, at, training, ), [2, 2], [2, 2], [0, 0], False, "
                    + "True, None)\n");
            c.append("    return (self).conv(y, p[torch.add(at, 4)], 1, 0, training, )\n");
        }

        c.append("  def head(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor],\n    at: int,\n"
                + "    training: bool) -> Tensor:\n");
        c.append("    # BN-ReLU, global average pooling, the bfloat16 linear classifier\n");
        c.append("    pooled = torch.adaptive_avg_pool2d((self).norm_relu(x, p, at, training, ), [1, 1])\n");
        c.append("    return torch.linear(torch.flatten(pooled, 1), torch.to(p[torch.add(at, 4)], 15), "
                + "torch.to(p[torch.add(at, 5)], 15))\n");
        return c.toString();
    }

    private static String flag(boolean b) {
        return b ? "True" : "False";
    }
}
