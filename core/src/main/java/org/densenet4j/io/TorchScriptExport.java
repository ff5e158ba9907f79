package org.densenet4j.io;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;

/**
 * Writes a trained DenseNet as a TorchScript archive, the zip format {@code torch.jit.save} writes, that
 * {@code torch.jit.load} (PyTorch) and LibTorch load and run without densenet4j: {@code code/__torch__.py} holds a
 * readable DenseNet (a forward of stem, dense blocks, transitions and head, each a small method), {@code data.pkl}
 * the module's state (its weights as lists of tensors per stage), {@code data/N} the tensor storages, and
 * {@code extra/} the class names, normalisation and input size ({@code _extra_files}). The eval-mode network:
 * batch normalisation uses the running statistics, dropout is the identity.
 *
 * <p>Learned from the archives Debian's PyTorch 1.13 writes for an equivalent scripted module; proven by loading
 * them in PyTorch 1.13 ({@code scripts/torchscript_parity.sh}) and in DJL's LibTorch 2.7.1 (the tests).
 */
public final class TorchScriptExport {

    /** The archive's top folder; PyTorch accepts any name. */
    static final String ROOT = "densenet4j/";
    /** The file format version PyTorch 1.13 writes for modules like this one. */
    static final String VERSION = "3\n";
    /** {@code constants.pkl}: an empty tuple, as PyTorch writes for a module without constants. */
    static final byte[] CONSTANTS = {(byte) 0x80, 2, ')', '.'};

    private final List<TorchTensor> storages = new ArrayList<>();
    /** Per storage: true if it is stored in bfloat16 (convolution and linear weights of a bf16 model). */
    private final List<Boolean> halfWidth = new ArrayList<>();

    private final Precision precision;

    private TorchScriptExport(Precision precision) {
        this.precision = precision;
    }

    /** Writes {@code model} to {@code file} atomically, in float32. */
    public static void write(TrainedModel model, Path file) throws IOException {
        write(model, file, Precision.FP32);
    }

    /**
     * Writes {@code model} to {@code file} atomically. In {@link Precision#BF16} the convolution and linear weights
     * are stored in bfloat16 and the code casts the input to bfloat16 in channels-last order and the logits back to
     * float32: only float32 crosses the archive's boundary, so DJL (whose JNI has no bfloat16) can run it. Batch
     * normalisation keeps float32 parameters and statistics.
     */
    public static void write(TrainedModel model, Path file, Precision precision) throws IOException {
        new TorchScriptExport(precision).archive(model, file);
    }

    /**
     * Writes {@code weights} (in the structure {@code spec}'s configuration has) with densenet4j's code for {@code
     * precision} to {@code file} atomically: how a model is exported, and how an archive read as data is compiled
     * again ({@link ScriptedModel#compile}).
     */
    static void write(ModelSpec spec, Precision precision, ScriptedWeights weights, Path file) throws IOException {
        new TorchScriptExport(precision).archive(spec, weights, file);
    }

    private void archive(TrainedModel model, Path file) throws IOException {
        DenseNet net = model.network();
        try (NDManager scratch = net.stem()
                .conv()
                .getParameters()
                .get("weight")
                .getArray()
                .getManager()
                .newSubManager()) {
            archive(model.spec(), ScriptedWeights.of(net, precision, scratch), file);
        }
    }

    private void archive(ModelSpec spec, ScriptedWeights weights, Path file) throws IOException {
        PickleWriter state = new PickleWriter();
        state.op(0x80).op(2); // PROTO 2
        state.global("__torch__", "DenseNet").op(')').op(0x81); // EMPTY_TUPLE, NEWOBJ
        state.op('}').op('('); // EMPTY_DICT, MARK
        state.unicode("training").op(0x89); // NEWFALSE: the module is in eval mode
        state.unicode("_is_full_backward_hook").op('N');
        state.unicode("stem_weights");
        typed(state, "List[Tensor]", () -> tensorList(state, weights.stem()));
        for (int b = 0; b < weights.blocks().size(); b++) {
            List<List<ScriptedWeights.Entry>> layers = weights.blocks().get(b);
            state.unicode("denseblock" + (b + 1));
            typed(state, "List[List[Tensor]]", () -> {
                state.op(']').op('('); // EMPTY_LIST, MARK
                for (List<ScriptedWeights.Entry> layer : layers) {
                    tensorList(state, layer);
                }
                state.op('e'); // APPENDS
            });
            if (b < weights.transitions().size()) {
                List<ScriptedWeights.Entry> t = weights.transitions().get(b);
                state.unicode("transition" + (b + 1));
                typed(state, "List[Tensor]", () -> tensorList(state, t));
            }
        }
        state.unicode("head_weights");
        typed(state, "List[Tensor]", () -> tensorList(state, weights.head()));
        state.op('u').op('b').op('.'); // SETITEMS, BUILD, STOP
        byte[] pickled = state.bytes();
        String code = TorchScriptCode.of(spec.config(), precision);
        Gson gson = new Gson();
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put(
                "model.json",
                gson.toJson(Map.of(
                        "name",
                        spec.modelName(),
                        "config",
                        spec.config().describe(),
                        "precision",
                        precision.toString(),
                        "format",
                        TorchScriptArchive.FORMAT)));
        extra.put("classes.json", gson.toJson(spec.classNames()));
        extra.put(
                "normalization.json",
                gson.toJson(Map.of(
                        "mean",
                        spec.normalization().mean(),
                        "std",
                        spec.normalization().std())));
        extra.put("input.json", gson.toJson(spec.describeInput()));
        AtomicFile.write(file, out -> {
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                for (Map.Entry<String, String> e : extra.entrySet()) {
                    TorchFileWriter.stored(zip, ROOT + "extra/" + e.getKey(), utf8(e.getValue()));
                }
                for (int i = 0; i < storages.size(); i++) {
                    TorchFileWriter.stored(
                            zip,
                            ROOT + "data/" + i,
                            halfWidth.get(i)
                                    ? bfloat16(storages.get(i).data())
                                    : TorchFileWriter.storageBytes(storages.get(i)));
                }
                TorchFileWriter.stored(zip, ROOT + "data.pkl", pickled);
                zip.putNextEntry(new ZipEntry(ROOT + "code/__torch__.py"));
                zip.write(utf8(code));
                zip.closeEntry();
                TorchFileWriter.stored(zip, ROOT + "constants.pkl", CONSTANTS);
                TorchFileWriter.stored(zip, ROOT + "version", utf8(VERSION));
            }
        });
    }

    /** float32 values as bfloat16 (round to nearest even), little-endian. */
    static byte[] bfloat16(float[] values) {
        byte[] out = new byte[2 * values.length];
        for (int i = 0; i < values.length; i++) {
            int bits = Float.floatToRawIntBits(values[i]);
            int rounded = Float.isNaN(values[i]) ? bits | 0x00400000 : bits + 0x7fff + ((bits >>> 16) & 1);
            short half = (short) (rounded >>> 16);
            out[2 * i] = (byte) half;
            out[2 * i + 1] = (byte) (half >>> 8);
        }
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code torch.jit._pickle.restore_type_tag(value, type)}: the TorchScript type of a list attribute. */
    private static void typed(PickleWriter p, String type, Runnable value) {
        p.global("torch.jit._pickle", "restore_type_tag");
        value.run();
        p.unicode(type).op(0x86).op('R'); // TUPLE2, REDUCE
    }

    /** {@code torch.jit._pickle.build_tensorlist([tensors...])}, each tensor a new storage. */
    private void tensorList(PickleWriter p, List<ScriptedWeights.Entry> tensors) {
        p.global("torch.jit._pickle", "build_tensorlist").op('(').op(']').op('(');
        for (ScriptedWeights.Entry e : tensors) {
            p.tensor(Integer.toString(storages.size()), e.tensor(), e.half() ? "BFloat16Storage" : "FloatStorage");
            storages.add(e.tensor());
            halfWidth.add(e.half());
        }
        p.op('e').op('t').op('R'); // APPENDS, TUPLE, REDUCE
    }

    /** The TorchScript source of a DenseNet's forward, written for a person to read. */
    public static final class TorchScriptCode {

        private TorchScriptCode() {}

        public static String of(DenseNetConfig config, Precision precision) {
            if (precision == Precision.BF16) {
                return folded(config);
            }
            CodeSettings settings = CodeSettings.of(config);
            StringBuilder c = new StringBuilder();
            header(c, settings.blocks());
            c.append("  def forward(self: __torch__.DenseNet,\n    images: Tensor) -> Tensor:\n");
            c.append("    x = (self).stem(images, self.stem_weights, )\n");
            for (int b = 1; b <= settings.blocks(); b++) {
                c.append("    x = (self).dense_block(x, self.denseblock")
                        .append(b)
                        .append(", )\n");
                if (b < settings.blocks()) {
                    c.append("    x = (self).transition(x, self.transition")
                            .append(b)
                            .append(", )\n");
                }
            }
            c.append("    return (self).head(x, self.head_weights, )\n");
            c.append("  def norm_relu(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor],\n    at: int) -> "
                    + "Tensor:\n");
            c.append("    # eval-mode batch normalisation with the weights at p[at:at + 4], then ReLU\n");
            c.append("    normed = torch.batch_norm(x, p[at], p[at + 1], p[at + 2], "
                    + "p[at + 3], False, 0.10000000000000001, " + settings.eps() + ", True)\n");
            c.append("    return torch.relu(normed)\n");
            c.append("  def stem(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor]) -> Tensor:\n");
            if (settings.imagenet()) {
                c.append("    # 7x7 stride-2 convolution, BN-ReLU, 3x3 stride-2 max-pool\n");
                c.append("    y = torch.conv2d(x, p[0], None, [2, 2], [3, 3], [1, 1], 1)\n");
                c.append(
                        "    return torch.max_pool2d((self).norm_relu(y, p, 1, ), [3, 3], [2, 2], [1, 1], [1, 1], False)\n");
            } else {
                c.append("    # one 3x3 convolution\n");
                c.append("    return torch.conv2d(x, p[0], None, [1, 1], [1, 1], [1, 1], 1)\n");
            }
            c.append("  def dense_block(self: __torch__.DenseNet,\n    x: Tensor,\n    layers: List[List[Tensor]]) -> "
                    + "Tensor:\n");
            c.append(
                    settings.inputFirst()
                            ? "    # each layer's k new maps join the block's maps after them (the paper's order)\n"
                            : "    # each layer's k new maps join the block's maps before them (the blog code's order)\n");
            c.append("    features = x\n");
            c.append("    for layer in layers:\n");
            c.append("      added = (self).dense_layer(features, layer, )\n");
            c.append(
                    settings.inputFirst()
                            ? "      features = torch.cat([features, added], 1)\n"
                            : "      features = torch.cat([added, features], 1)\n");
            c.append("    return features\n");
            c.append("  def dense_layer(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor]) -> Tensor:\n");
            if (settings.bottleneck()) {
                c.append("    # bottleneck: BN-ReLU-conv 1x1 to the bottleneck width, BN-ReLU-conv 3x3 to k maps\n");
                c.append(
                        "    narrow = torch.conv2d((self).norm_relu(x, p, 0, ), p[4], None, [1, 1], [0, 0], [1, 1], 1)\n");
                c.append(
                        "    return torch.conv2d((self).norm_relu(narrow, p, 5, ), p[9], None, [1, 1], [1, 1], [1, 1], 1)\n");
            } else {
                c.append("    # basic: BN-ReLU-conv 3x3 to k maps\n");
                c.append(
                        "    return torch.conv2d((self).norm_relu(x, p, 0, ), p[4], None, [1, 1], [1, 1], [1, 1], 1)\n");
            }
            c.append("  def transition(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor]) -> Tensor:\n");
            c.append("    # BN-ReLU, 1x1 convolution (compression), 2x2 average pool\n");
            c.append("    y = torch.conv2d((self).norm_relu(x, p, 0, ), p[4], None, [1, 1], [0, 0], [1, 1], 1)\n");
            c.append("    return torch.avg_pool2d(y, [2, 2], [2, 2], [0, 0], False, True, None)\n");
            c.append("  def head(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor]) -> Tensor:\n");
            c.append("    # BN-ReLU, global average pooling, linear classifier\n");
            c.append("    pooled = torch.adaptive_avg_pool2d((self).norm_relu(x, p, 0, ), [1, 1])\n");
            c.append("    return torch.linear(torch.flatten(pooled, 1), p[4], p[5])\n");
            return c.toString();
        }

        /** The folded network in bfloat16: what densenet4j's own inference runs, in libtorch's terms. */
        static String folded(DenseNetConfig config) {
            CodeSettings settings = CodeSettings.of(config);
            StringBuilder c = new StringBuilder();
            header(c, settings.blocks());
            c.append("  def forward(self: __torch__.DenseNet,\n    images: Tensor) -> Tensor:\n");
            c.append(
                    "    # bfloat16 inside (ScalarType 15), float32 at the edges (6), channels-last maps (MemoryFormat 2);\n");
            c.append(
                    "    # the folded network: each BN-ReLU before a 1x1 conv or the classifier is a clamp plus that map's\n");
            c.append("    # weights and bias, each BN after a conv is in the conv, a dense block writes one buffer\n");
            c.append(
                    "    x = (self).stem(torch.contiguous(torch.to(images, 15), memory_format=2), self.stem_weights, )\n");
            for (int b = 1; b <= settings.blocks(); b++) {
                c.append("    x = (self).dense_block(x, self.denseblock")
                        .append(b)
                        .append(", )\n");
                if (b < settings.blocks()) {
                    c.append("    x = (self).transition(x, self.transition")
                            .append(b)
                            .append(", )\n");
                }
            }
            c.append("    return torch.to((self).head(x, self.head_weights, ), 6)\n");
            c.append(
                    "  def clamp(self: __torch__.DenseNet,\n    x: Tensor,\n    lower: Tensor,\n    upper: Tensor) -> Tensor:\n");
            c.append(
                    "    # relu(bn(x)) = s * clamp(x) + b' per channel: the bounds (upper only where a BN scale is negative)\n");
            c.append("    y = torch.maximum(x, lower)\n");
            c.append("    if torch.gt(torch.numel(upper), 0):\n");
            c.append("      y0 = torch.minimum(y, upper)\n");
            c.append("    else:\n");
            c.append("      y0 = y\n");
            c.append("    return y0\n");
            c.append("  def stem(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor]) -> Tensor:\n");
            if (settings.imagenet()) {
                c.append("    # 7x7 stride-2 convolution with its BN folded in, ReLU, 3x3 stride-2 max-pool\n");
                c.append("    y = torch.relu(torch.conv2d(x, p[0], p[1], [2, 2], [3, 3], [1, 1], 1))\n");
                c.append("    return torch.max_pool2d(y, [3, 3], [2, 2], [1, 1], [1, 1], False)\n");
            } else {
                c.append("    # one 3x3 convolution\n");
                c.append("    return torch.conv2d(x, p[0], None, [1, 1], [1, 1], [1, 1], 1)\n");
            }
            c.append("  def dense_block(self: __torch__.DenseNet,\n    x: Tensor,\n    layers: List[List[Tensor]]) -> "
                    + "Tensor:\n");
            c.append(
                    settings.inputFirst()
                            ? "    # one buffer: the block input first, then each layer's k maps after the ones it read\n"
                            : "    # one buffer: the block input last, each layer's k maps before the ones it read (blog code)\n");
            c.append("    c0 = torch.size(x, 1)\n");
            c.append("    k = torch.size(layers[0][4], 0)\n");
            c.append("    total = torch.add(c0, torch.mul(torch.len(layers), k))\n");
            c.append(
                    "    buffer = torch.empty([torch.size(x, 0), total, torch.size(x, 2), torch.size(x, 3)], dtype=15, "
                            + "layout=None, device=None, pin_memory=None, memory_format=2)\n");
            c.append(
                    settings.inputFirst()
                            ? "    _0 = torch.copy_(torch.narrow(buffer, 1, 0, c0), x)\n"
                            : "    _0 = torch.copy_(torch.narrow(buffer, 1, torch.sub(total, c0), c0), x)\n");
            c.append("    for j in range(torch.len(layers)):\n");
            c.append("      seen = torch.add(c0, torch.mul(j, k))\n");
            if (settings.inputFirst()) {
                c.append("      added = (self).dense_layer(torch.narrow(buffer, 1, 0, seen), layers[j], )\n");
                c.append("      _1 = torch.copy_(torch.narrow(buffer, 1, seen, k), added)\n");
            } else {
                c.append(
                        "      added = (self).dense_layer(torch.narrow(buffer, 1, torch.sub(total, seen), seen), layers[j], )\n");
                c.append(
                        "      _1 = torch.copy_(torch.narrow(buffer, 1, torch.sub(torch.sub(total, seen), k), k), added)\n");
            }
            c.append("    return buffer\n");
            c.append("  def dense_layer(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor]) -> Tensor:\n");
            if (settings.bottleneck()) {
                c.append(
                        "    # clamp, 1x1 conv to the bottleneck width (both BNs folded in), ReLU, 3x3 conv to k maps\n");
                c.append(
                        "    narrow = torch.relu(torch.conv2d((self).clamp(x, p[0], p[1], ), p[2], p[3], [1, 1], [0, 0], [1, 1], 1))\n");
                c.append("    return torch.conv2d(narrow, p[4], None, [1, 1], [1, 1], [1, 1], 1)\n");
            } else {
                c.append(
                        "    # basic: BN (float32 statistics), ReLU, 3x3 conv to k maps (its padding keeps the BN apart)\n");
                c.append("    normed = torch.batch_norm(x, p[2], p[3], p[0], p[1], False, 0.10000000000000001, "
                        + settings.eps() + ", True)\n");
                c.append("    return torch.conv2d(torch.relu(normed), p[4], None, [1, 1], [1, 1], [1, 1], 1)\n");
            }
            c.append("  def transition(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor]) -> Tensor:\n");
            c.append("    # clamp, 2x2 average pool, then the 1x1 convolution (pooling first: they commute)\n");
            c.append(
                    "    pooled = torch.avg_pool2d((self).clamp(x, p[0], p[1], ), [2, 2], [2, 2], [0, 0], False, True, None)\n");
            c.append("    return torch.conv2d(pooled, p[2], p[3], [1, 1], [0, 0], [1, 1], 1)\n");
            c.append("  def head(self: __torch__.DenseNet,\n    x: Tensor,\n    p: List[Tensor]) -> Tensor:\n");
            c.append("    # clamp, global average pooling, the classifier with the head BN folded in\n");
            c.append("    pooled = torch.adaptive_avg_pool2d((self).clamp(x, p[0], p[1], ), [1, 1])\n");
            c.append("    return torch.linear(torch.flatten(pooled, 1), p[2], p[3])\n");
            return c.toString();
        }

        /** The class line and the attribute declarations, the same for every variant. */
        private static void header(StringBuilder c, int blocks) {
            c.append("class DenseNet(Module):\n");
            c.append("  __parameters__ = []\n");
            c.append("  __buffers__ = []\n");
            c.append("  training : bool\n");
            c.append("  _is_full_backward_hook : NoneType\n");
            c.append("  stem_weights : List[Tensor]\n");
            for (int b = 1; b <= blocks; b++) {
                c.append("  denseblock").append(b).append(" : List[List[Tensor]]\n");
                if (b < blocks) {
                    c.append("  transition").append(b).append(" : List[Tensor]\n");
                }
            }
            c.append("  head_weights : List[Tensor]\n");
        }
    }
}
