package org.densenet4j.script;

import ai.djl.engine.Engine;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Selects fbgemm as libtorch's quantized engine, once per process, before densenet4j's int8 module prepacks its
 * convolutions.
 *
 * <p>Why: libtorch 2.7.1's default engine on x86 ({@code x86}) hands every convolution with symmetric int8 weights to
 * oneDNN on a CPU with avx512_vnni. On guests whose hypervisor reports no cache topology, that oneDNN computes wrong
 * results or dies (the reason scripts/onednn.sh caps it with {@code ONEDNN_MAX_CPU_ISA}), and capped (measured at
 * AVX) its int8 kernels are four times slower than fbgemm's (densenet121, batch 8: 29 against 118 img/s). fbgemm has its own avx512_vnni kernels and uses
 * no oneDNN. Neither TorchScript nor DJL can choose the engine ({@code torch.backends.quantized.engine} is Python
 * only), so this calls libtorch's exported {@code at::Context::setQEngine} directly and reads the engine back to
 * check that it took.
 */
final class QuantizedEngine {

    /** c10::QEngine's values: NoQEngine, FBGEMM, QNNPACK, ONEDNN, X86. */
    private static final String[] NAMES = {"none", "fbgemm", "qnnpack", "onednn", "x86"};

    private static final int FBGEMM = 1;

    private static boolean selected;

    private QuantizedEngine() {}

    /**
     * Makes fbgemm libtorch's quantized engine.
     *
     * @throws IllegalStateException if libtorch cannot be reached or has no fbgemm
     */
    static synchronized void selectFbgemm() {
        if (selected) {
            return;
        }
        Engine.getEngine("PyTorch"); // loads libtorch, so that the library below is the one DJL runs
        Path library = libtorchCpu();
        NativeLibrary lib = NativeLibrary.getInstance(library.toString());
        Pointer context;
        Function engine;
        try {
            context = lib.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
            engine = lib.getFunction("_ZNK2at7Context7qEngineEv");
            lib.getFunction("_ZN2at7Context10setQEngineEN3c107QEngineE")
                    .invokeVoid(new Object[] {context, (byte) FBGEMM});
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException(
                    "int8 needs libtorch's fbgemm engine, and " + library + " does not export the calls that select "
                            + "it (" + e.getMessage() + ")",
                    e);
        }
        int now = engine.invokeInt(new Object[] {context}) & 0xff;
        if (now != FBGEMM) {
            throw new IllegalStateException("int8 needs libtorch's fbgemm quantized engine; libtorch kept "
                    + (now < NAMES.length ? NAMES[now] : "engine " + now));
        }
        selected = true;
    }

    /** libtorch_cpu.so in the folder DJL loaded libtorch from. */
    private static Path libtorchCpu() {
        String path = ai.djl.pytorch.jni.LibUtils.getLibtorchPath();
        Path folder = path == null ? null : Path.of(path);
        Path file = folder == null ? null : folder.resolve("libtorch_cpu.so");
        if (file == null || !Files.isRegularFile(file)) {
            throw new IllegalStateException("int8 needs libtorch's fbgemm engine, and DJL's libtorch folder (" + path
                    + ") holds no libtorch_cpu.so");
        }
        return file;
    }
}
