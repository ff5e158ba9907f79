package org.densenet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The convolution self-check computes the convolution it compares with, names how far off libtorch is, and bf16 is
 * refused with that reason wherever the check fails.
 */
class ConvolutionSelfCheckTest {

    private static final int IN = 20; // as ConvolutionSelfCheck's
    private static final int OUT = 12;
    private static final int SIDE = 12;

    @Test
    void theReferenceIsTheZeroPaddedConvolution() {
        float[] x = new float[2 * IN * SIDE * SIDE];
        float[] w = new float[OUT * IN * 9];
        Arrays.fill(x, 1);
        Arrays.fill(w, 1);
        double[] y = ConvolutionSelfCheck.reference(x, w);
        assertEquals(2 * OUT * SIDE * SIDE, y.length);
        assertEquals(IN * 4, y[0], "a corner sees 2x2 of the 3x3 window");
        assertEquals(IN * 6, y[1], "an edge sees 2x3");
        assertEquals(IN * 9, y[SIDE + 1], "the interior sees all 9");
    }

    @Test
    void theVerdictNamesTheRelativeError() {
        double[] expected = {10, -20, 5};
        assertEquals(Optional.empty(), ConvolutionSelfCheck.verdict(new float[] {10, -20, 5}, expected));
        String wrong =
                ConvolutionSelfCheck.verdict(new float[] {10, -18, 5}, expected).orElseThrow();
        assertTrue(wrong.contains("off by 10% of its largest value"), wrong);
        assertTrue(ConvolutionSelfCheck.verdict(new float[] {Float.NaN, -20, 5}, expected)
                .isPresent());
    }

    @Test
    void bf16IsRefusedWithTheReasonWhereLibtorchConvolvesWrong() throws Exception {
        String cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
        assumeTrue(cpuinfo.matches("(?s).*\\b(avx512_bf16|amx_bf16)\\b.*"), "this CPU has no native bfloat16");
        // ONEDNN_MAX_CPU_ISA=SSE41 (the launcher's fix for such machines) makes convolutions right but refuses bf16
        assumeTrue(System.getenv("ONEDNN_MAX_CPU_ISA") == null, "oneDNN is capped by ONEDNN_MAX_CPU_ISA");
        Optional<String> failure = ConvolutionSelfCheck.failure();
        assertEquals(failure.isEmpty(), Precision.BF16.isSupported());
        failure.ifPresent(reason -> assertEquals(
                "bf16 is refused: " + reason,
                assertThrows(IllegalArgumentException.class, Precision.BF16::requireSupport)
                        .getMessage()));
        Precision.FP32.requireSupport();
    }
}
