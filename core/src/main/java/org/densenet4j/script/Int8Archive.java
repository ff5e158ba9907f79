package org.densenet4j.script;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.torch.PickleWriter;
import org.densenet4j.torch.TorchFileWriter;
import org.densenet4j.torch.TorchTensor;

/**
 * Writes densenet4j's int8 module, or its float32 calibration twin ({@link Int8Code}), as a TorchScript archive for
 * libtorch: the code, {@code data.pkl} with the module's tensor lists ({@link Int8Weights}) and an empty list of
 * prepacked convolutions, the storages, and the extra files the float32 and bf16 archives carry.
 */
final class Int8Archive {

    /** The extra file holding the calibration ({@link Int8Calibration#describe}). */
    static final String CALIBRATION = "calibration.json";

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
        TorchScriptExport.moduleState(state);
        state.unicode("conv_weights");
        TorchScriptExport.typed(state, "List[Tensor]", () -> tensorList(state, weights.convWeights()));
        state.unicode("conv_biases");
        TorchScriptExport.typed(state, "List[Tensor]", () -> tensorList(state, weights.convBiases()));
        state.unicode("norms");
        TorchScriptExport.typed(state, "List[List[Tensor]]", () -> {
            state.op(']').op('('); // EMPTY_LIST, MARK
            for (List<TorchTensor> norm : weights.norms()) {
                tensorList(state, norm);
            }
            state.op('e'); // APPENDS
        });
        state.unicode("classifier");
        TorchScriptExport.typed(state, "List[Tensor]", () -> tensorList(state, weights.classifier()));
        state.unicode("packed");
        // Filled by the module's first forward: libtorch's prepacked convolutions are not data an archive holds.
        TorchScriptExport.typed(
                state, "List[__torch__.torch.classes.quantized.Conv2dPackedParamsBase]", () -> state.op(']'));
        state.op('u').op('b').op('.'); // SETITEMS, BUILD, STOP
        byte[] pickled = state.bytes();
        Map<String, String> extra = TorchScriptExport.extraFiles(spec, "int8");
        if (calibration != null) {
            extra.put(CALIBRATION, new Gson().toJson(calibration.describe()));
        }
        List<byte[]> data = new ArrayList<>();
        for (TorchTensor t : storages) {
            data.add(TorchFileWriter.storageBytes(t));
        }
        TorchScriptExport.zip(file, extra, data, pickled, code);
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
