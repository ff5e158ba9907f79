package org.densenet4j.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.Optional;
import java.util.Random;

/**
 * Checks once per process that libtorch computes a convolution correctly on this machine: a float32 3x3
 * convolution of 20 input channels (a multiple of neither oneDNN's 8- nor its 16-channel blocks), channels
 * first, compared with the same sum done here in double.
 *
 * <p>Why it exists: libtorch 2.7.1's oneDNN 3.7.1 reads an AMD CPU's cache sizes from CPUID leaf 0x8000001D
 * without checking it. Hypervisors that leave that leaf empty (seen on an AMD EPYC Zen 5 guest whose
 * {@code /sys/devices/system/cpu/cpu0/cache} is empty) make every cache level one byte; oneDNN's reorder of
 * convolution weights into its padded 16-channel blocks then writes zeros over live weights. Convolutions with
 * a kernel larger than 1x1 whose channel counts are not multiples of 16 come out wrong: in float32 when the
 * input channels are not (this check's case), in bfloat16 also when the output channels are not (a DenseNet's
 * growth rate k = 12, the grey stem). Integer inputs and weights make the double sum exact. Capped at AVX
 * ({@code ONEDNN_MAX_CPU_ISA=AVX}) oneDNN still gets channels-first 3x3 convolutions wrong whose input channels are
 * not a multiple of 8; capped at SSE4.1 every convolution measured is right: {@code ONEDNN_MAX_CPU_ISA=SSE41} in
 * the environment before the JVM starts, which the {@code densenet4j} command and test suite set on such machines
 * ({@code scripts/onednn.sh}).
 */
public final class ConvolutionSelfCheck {

    private static final int BATCH = 2;
    private static final int IN = 20;
    private static final int OUT = 12;
    private static final int SIDE = 12;
    /** Float32 sums of small integers are exact; anything beyond rounding is the fault. */
    private static final double TOLERANCE = 1e-4;

    private ConvolutionSelfCheck() {}

    /** Empty if libtorch's convolution is right here, else what is wrong (computed once, then remembered). */
    public static Optional<String> failure() {
        return Holder.FAILURE;
    }

    private static final class Holder {
        static final Optional<String> FAILURE = run();
    }

    private static Optional<String> run() {
        Random random = new Random(7);
        float[] x = smallIntegers(random, BATCH * IN * SIDE * SIDE);
        float[] w = smallIntegers(random, OUT * IN * 9);
        float[] actual;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = Conv2d.conv2d(
                            m.create(x, new Shape(BATCH, IN, SIDE, SIDE)),
                            m.create(w, new Shape(OUT, IN, 3, 3)),
                            null,
                            new Shape(1, 1),
                            new Shape(1, 1))
                    .singletonOrThrow();
            actual = out.toFloatArray();
        }
        return verdict(actual, reference(x, w));
    }

    /** Empty if {@code actual} matches {@code expected} to float32 rounding, else the relative error, named. */
    static Optional<String> verdict(float[] actual, double[] expected) {
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            double d = Math.abs(actual[i] - expected[i]);
            worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
        }
        if (worst <= TOLERANCE * scale) {
            return Optional.empty();
        }
        return Optional.of(String.format(
                java.util.Locale.ROOT,
                "libtorch computes wrong convolutions on this machine (a float32 3x3 convolution of %d channels is "
                        + "off by %.0f%% of its largest value; libtorch's oneDNN misreads the cache sizes when a "
                        + "hypervisor reports no AMD cache topology; set ONEDNN_MAX_CPU_ISA=SSE41 in the environment before "
                        + "starting Java, as the densenet4j command does on such machines)",
                IN,
                100 * worst / scale));
    }

    /** The 3x3, stride 1, padding 1 convolution of NCHW {@code x} with OIHW {@code w}, in double. */
    static double[] reference(float[] x, float[] w) {
        double[] out = new double[BATCH * OUT * SIDE * SIDE];
        for (int n = 0; n < BATCH; n++) {
            for (int o = 0; o < OUT; o++) {
                for (int y = 0; y < SIDE; y++) {
                    for (int z = 0; z < SIDE; z++) {
                        double sum = 0;
                        for (int c = 0; c < IN; c++) {
                            for (int i = 0; i < 3; i++) {
                                for (int j = 0; j < 3; j++) {
                                    int row = y + i - 1;
                                    int col = z + j - 1;
                                    if (row >= 0 && row < SIDE && col >= 0 && col < SIDE) {
                                        sum += w[((o * IN + c) * 3 + i) * 3 + j]
                                                * x[((n * IN + c) * SIDE + row) * SIDE + col];
                                    }
                                }
                            }
                        }
                        out[((n * OUT + o) * SIDE + y) * SIDE + z] = sum;
                    }
                }
            }
        }
        return out;
    }

    /** Integers in [-3, 3]: their products and sums are exact in float32. */
    private static float[] smallIntegers(Random random, int count) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = random.nextInt(7) - 3;
        }
        return out;
    }
}
