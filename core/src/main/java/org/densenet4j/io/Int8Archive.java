package org.densenet4j.io;

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

/**
 * Writes densenet4j's int8 module, or its float32 calibration twin ({@link Int8Code}), as a TorchScript archive for
 * libtorch: the code, {@code data.pkl} with the module's tensor lists ({@link Int8Weights}) and an empty list of
 * prepacked convolutions, the storages, and the extra files the float32 and bf16 archives carry.
 */
final class Int8Archive {

    private final List<TorchTensor> storages = new ArrayList<>();

    private Int8Archive() {}

    /**
     * Writes the module with {@code code} over {@code weights} to {@code file} atomically; {@code calibration} is
     * recorded in {@code extra/calibration.json} when given.
     */
    static void write(ModelSpec spec, Int8Weights weights, String code, Int8Calibration calibration, Path file)
            throws IOException {
        new Int8Archive().archive(spec, weights, code, calibration, file);
    }

    private void archive(ModelSpec spec, Int8Weights weights, String code, Int8Calibration calibration, Path file)
            throws IOException {
        PickleWriter state = new PickleWriter();
        state.op(0x80).op(2); // PROTO 2
        state.global("__torch__", "DenseNet").op(')').op(0x81); // EMPTY_TUPLE, NEWOBJ
        state.op('}').op('('); // EMPTY_DICT, MARK
        state.unicode("training").op(0x89); // NEWFALSE: the module is in eval mode
        state.unicode("_is_full_backward_hook").op('N');
        state.unicode("conv_weights");
        typed(state, "List[Tensor]", () -> tensorList(state, weights.convWeights()));
        state.unicode("conv_biases");
        typed(state, "List[Tensor]", () -> tensorList(state, weights.convBiases()));
        state.unicode("norms");
        typed(state, "List[List[Tensor]]", () -> {
            state.op(']').op('('); // EMPTY_LIST, MARK
            for (List<TorchTensor> norm : weights.norms()) {
                tensorList(state, norm);
            }
            state.op('e'); // APPENDS
        });
        state.unicode("classifier");
        typed(state, "List[Tensor]", () -> tensorList(state, weights.classifier()));
        state.unicode("packed");
        // Filled by the module's first forward: libtorch's prepacked convolutions are not data an archive holds.
        typed(state, "List[__torch__.torch.classes.quantized.Conv2dPackedParamsBase]", () -> state.op(']'));
        state.op('u').op('b').op('.'); // SETITEMS, BUILD, STOP
        byte[] pickled = state.bytes();
        Gson gson = new Gson();
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put(
                "model.json",
                gson.toJson(
                        Map.of("name", spec.modelName(), "config", spec.config().describe(), "precision", "int8")));
        extra.put("classes.json", gson.toJson(spec.classNames()));
        extra.put(
                "normalization.json",
                gson.toJson(Map.of(
                        "mean",
                        spec.normalization().mean(),
                        "std",
                        spec.normalization().std())));
        extra.put("input.json", gson.toJson(spec.describeInput()));
        if (calibration != null) {
            Map<String, Object> ranges = new LinkedHashMap<>();
            ranges.put("method", "min-max");
            ranges.put("images", calibration.images());
            ranges.put("points", calibration.points());
            ranges.put("min", calibration.min());
            ranges.put("max", calibration.max());
            extra.put("calibration.json", gson.toJson(ranges));
        }
        AtomicFile.write(file, out -> {
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                for (Map.Entry<String, String> e : extra.entrySet()) {
                    TorchFileWriter.stored(zip, TorchScriptExport.ROOT + "extra/" + e.getKey(), utf8(e.getValue()));
                }
                for (int i = 0; i < storages.size(); i++) {
                    TorchFileWriter.stored(
                            zip, TorchScriptExport.ROOT + "data/" + i, TorchFileWriter.storageBytes(storages.get(i)));
                }
                TorchFileWriter.stored(zip, TorchScriptExport.ROOT + "data.pkl", pickled);
                zip.putNextEntry(new ZipEntry(TorchScriptExport.ROOT + "code/__torch__.py"));
                zip.write(utf8(code));
                zip.closeEntry();
                TorchFileWriter.stored(zip, TorchScriptExport.ROOT + "constants.pkl", TorchScriptExport.CONSTANTS);
                TorchFileWriter.stored(zip, TorchScriptExport.ROOT + "version", utf8(TorchScriptExport.VERSION));
            }
        });
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

    /** {@code torch.jit._pickle.build_tensorlist([tensors...])}, each tensor a new float32 storage. */
    private void tensorList(PickleWriter p, List<TorchTensor> tensors) {
        p.global("torch.jit._pickle", "build_tensorlist").op('(').op(']').op('(');
        for (TorchTensor t : tensors) {
            p.tensor(Integer.toString(storages.size()), t, "FloatStorage");
            storages.add(t);
        }
        p.op('e').op('t').op('R'); // APPENDS, TUPLE, REDUCE
    }
}
