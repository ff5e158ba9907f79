package org.densenet4j.script;

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
import org.densenet4j.torch.PickleWriter;
import org.densenet4j.torch.TorchFileWriter;
import org.densenet4j.torch.TorchTensor;

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

    /**
     * Starts the pickled state of a {@code __torch__.DenseNet} module in eval mode, as torch.jit.save writes it: the
     * attributes that follow are the variant's own, then the dict and object are closed by the caller.
     */
    static void moduleState(PickleWriter state) {
        state.op(0x80).op(2); // PROTO 2
        state.global("__torch__", "DenseNet").op(')').op(0x81); // EMPTY_TUPLE, NEWOBJ
        state.op('}').op('('); // EMPTY_DICT, MARK
        state.unicode("training").op(0x89); // NEWFALSE: the module is in eval mode
        state.unicode("_is_full_backward_hook").op('N');
    }

    private void archive(ModelSpec spec, ScriptedWeights weights, Path file) throws IOException {
        PickleWriter state = new PickleWriter();
        moduleState(state);
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
        Map<String, String> extra = extraFiles(spec, precision.toString());
        List<byte[]> data = new ArrayList<>();
        for (int i = 0; i < storages.size(); i++) {
            data.add(
                    halfWidth.get(i)
                            ? bfloat16(storages.get(i).data())
                            : TorchFileWriter.storageBytes(storages.get(i)));
        }
        zip(file, extra, data, pickled, code);
    }

    /**
     * The extra files every archive densenet4j writes carries: {@code model.json} (the network, {@code precision},
     * the archive {@code format}), {@code classes.json}, {@code normalization.json}, {@code input.json}.
     */
    static Map<String, String> extraFiles(ModelSpec spec, String precision) {
        Gson gson = new Gson();
        Map<String, String> extra = new LinkedHashMap<>();
        Map<String, Object> model = spec.describeModel();
        model.put("precision", precision);
        model.put("format", TorchScriptArchive.FORMAT);
        extra.put("model.json", gson.toJson(model));
        extra.put("classes.json", gson.toJson(spec.classNames()));
        extra.put("normalization.json", gson.toJson(spec.describeNormalization()));
        extra.put("input.json", gson.toJson(spec.describeInput()));
        return extra;
    }

    /**
     * Writes the archive's zip to {@code file} atomically, in the order {@code torch.jit.save} writes: the extra
     * files, the storages {@code data/N}, {@code data.pkl}, the code, {@code constants.pkl}, {@code version}.
     */
    static void zip(Path file, Map<String, String> extra, List<byte[]> storages, byte[] pickled, String code)
            throws IOException {
        AtomicFile.write(file, out -> {
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                for (Map.Entry<String, String> e : extra.entrySet()) {
                    TorchFileWriter.stored(zip, ROOT + "extra/" + e.getKey(), utf8(e.getValue()));
                }
                for (int i = 0; i < storages.size(); i++) {
                    TorchFileWriter.stored(zip, ROOT + "data/" + i, storages.get(i));
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
    static void typed(PickleWriter p, String type, Runnable value) {
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
}
