package org.densenet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.densenet4j.base.Setting;
import org.densenet4j.base.SettingRemedy;
import org.junit.jupiter.api.Test;

/**
 * bf16 is refused on CPUs without native bfloat16, int8 on CPUs without int8 dot products, naming what is missing;
 * names parse in any case.
 */
class PrecisionTest {

    @Test
    void bf16NeedsAvx512Bf16OrAmx() {
        String old = "flags\t\t: fpu sse2 avx2 avx512f avx512bw\n";
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Precision.BF16.requireSupport(old));
        assertTrue(
                e.getMessage().contains("avx512_bf16 or amx_bf16")
                        && e.getMessage().contains("use fp32 precision"),
                e.getMessage());
        assertEquals(Setting.PRECISION, SettingRemedy.of(e), "the command line names the flag that gets past it");
        Precision.BF16.requireSupport("flags\t\t: fpu avx512f avx512_bf16\n");
        Precision.BF16.requireSupport("flags\t\t: fpu amx_bf16 amx_tile\n");
        Precision.FP32.requireSupport(old);
    }

    @Test
    void int8NeedsAvx512VnniOrAmxInt8() {
        String bf16Only = "flags\t\t: fpu avx2 avx512f avx512_bf16\n";
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Precision.INT8.requireSupport(bf16Only));
        assertTrue(
                e.getMessage().contains("avx512_vnni or amx_int8")
                        && e.getMessage().contains("use fp32 precision"),
                e.getMessage());
        Precision.INT8.requireSupport("flags\t\t: fpu avx512f avx512_vnni\n");
        Precision.INT8.requireSupport("flags\t\t: fpu amx_int8 amx_tile\n");
    }

    @Test
    void bf16IsRefusedWhereONEDNN_MAX_CPU_ISAKeepsItsKernelsAway() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Precision.requireBf16Kernels("SSE41"));
        assertTrue(e.getMessage().contains("ONEDNN_MAX_CPU_ISA=SSE41")
                && e.getMessage().contains("fp32"));
        assertThrows(IllegalArgumentException.class, () -> Precision.requireBf16Kernels("avx512_core_vnni"));
        Precision.requireBf16Kernels(null);
        Precision.requireBf16Kernels("");
        Precision.requireBf16Kernels("AVX512_CORE_BF16");
        Precision.requireBf16Kernels("avx512_core_amx");
        Precision.requireBf16Kernels("ALL");
    }

    @Test
    void namesParse() {
        assertEquals(Precision.INT8, Precision.parse("int8"));
        assertEquals(Precision.BF16, Precision.parse("BF16"));
        assertEquals("fp32", Precision.FP32.toString());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8"))
                .getMessage()
                .contains("fp32, bf16, int8"));
    }
}
