package org.densenet4j.infer;

import java.util.Locale;
import org.densenet4j.base.MissingSettingException;
import org.densenet4j.base.Setting;
import org.densenet4j.base.TerminalText;

/**
 * The number format a model computes in: float32 everywhere, bfloat16 convolutions with float32 at the edges, or int8
 * maps and weights (post-training quantization, calibrated on images) with float32 at the edges.
 */
public enum Precision {
    FP32,
    BF16,
    INT8;

    /** Parses {@code fp32}, {@code bf16} or {@code int8}, in any case. */
    public static Precision parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "unknown precision '" + TerminalText.excerpt(name, 40) + "'; valid: fp32, bf16, int8");
        }
    }

    /**
     * Checks that this CPU computes in this precision natively: bfloat16 needs the avx512_bf16 or amx_bf16
     * instructions (emulated bfloat16 is slower than float32, so it is refused rather than run), and libtorch's
     * convolutions must be right on this machine (a one-off check; where they are not, bfloat16's are further off
     * than float32's, so bf16 is refused rather than run wrong). int8 needs avx512_vnni or amx_int8 (libtorch's fbgemm
     * kernels without them are no faster than bf16 or float32 here).
     *
     * @throws IllegalArgumentException naming what is missing or wrong
     */
    public void requireSupport() {
        if (this == FP32) {
            return;
        }
        String flags;
        try {
            flags = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo"));
        } catch (java.io.IOException | RuntimeException e) {
            throw new MissingSettingException(
                    Setting.PRECISION,
                    this + " needs a CPU with " + instructions() + ", and /proc/cpuinfo " + "cannot be read to check ("
                            + e.getMessage() + ")");
        }
        requireSupport(flags);
        if (this == BF16) {
            requireBf16Kernels(System.getenv("ONEDNN_MAX_CPU_ISA"));
        }
        // int8 convolutions run in fbgemm under any cap, but its calibration runs float32 ones in oneDNN
        ConvolutionSelfCheck.failure().ifPresent(reason -> {
            throw new IllegalArgumentException(this + " is refused: " + reason);
        });
    }

    /** True if this CPU computes in this precision natively ({@link #requireSupport()} says what is missing or wrong). */
    public boolean isSupported() {
        try {
            requireSupport();
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** As {@link #requireSupport()}, for the given /proc/cpuinfo text. */
    void requireSupport(String cpuinfo) {
        if (this == FP32) {
            return;
        }
        String pattern = this == BF16 ? "avx512_bf16|amx_bf16" : "avx512_vnni|amx_int8";
        if (!cpuinfo.matches("(?s).*\\b(" + pattern + ")\\b.*")) {
            throw new MissingSettingException(
                    Setting.PRECISION,
                    this + " needs a CPU with " + instructions() + " instructions; this "
                            + "one has neither: use fp32 precision");
        }
    }

    /** The instructions this precision needs, for messages. */
    private String instructions() {
        return this == BF16 ? "avx512_bf16 or amx_bf16" : "avx512_vnni or amx_int8";
    }

    /**
     * Refuses bf16 when {@code ONEDNN_MAX_CPU_ISA} keeps libtorch's oneDNN from its bfloat16 kernels: it then runs
     * bfloat16 through reference code many times slower than float32. The launcher sets SSE41 on machines that report
     * no CPU caches, where oneDNN's faster kernels compute wrong ({@link ConvolutionSelfCheck}).
     *
     * @param maxIsa the variable's value, or null when unset
     */
    static void requireBf16Kernels(String maxIsa) {
        if (maxIsa == null || maxIsa.isBlank()) {
            return;
        }
        String isa = maxIsa.trim().toUpperCase(Locale.ROOT);
        if (!isa.matches("ALL|DEFAULT|.*(BF16|FP16|AMX|AVX10).*")) {
            throw new MissingSettingException(
                    Setting.PRECISION,
                    "bf16 is refused: ONEDNN_MAX_CPU_ISA=" + maxIsa.trim() + " keeps "
                            + "libtorch from its bfloat16 kernels (densenet4j sets SSE41 where the CPU reports no caches, "
                            + "because oneDNN's faster kernels compute wrong there); use fp32 precision");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
