package org.densenet4j.peers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The machine's FP32 matrix-multiply peak as densenet4j's own libtorch reaches it, two ways, each the
 * median of five n=4096 products after a warm-up: MKL's sgemm ({@code matMul}), and the same product as a
 * 1x1 convolution over a 64x64 channels-last image with 4096 channels, which runs on oneDNN's kernels like
 * every convolution of the network. On AMD processors MKL takes a slower code path than oneDNN, so the
 * larger of the two is the limit that throughput figures are set against.
 *
 * <pre>java -cp ... org.densenet4j.bench.MatmulPeak</pre> prints
 * {@code {"gflops": ..., "sgemm_gflops": ..., "conv_gemm_gflops": ..., "n": 4096}}.
 */
public final class MatmulPeak {

    private static final int N = 4096;

    private MatmulPeak() {}

    /** GFLOP/s of an n x n x n float32 matrix multiply through MKL. */
    public static double sgemmGflops(int n) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            return gflops(n, x -> x.matMul(b), a);
        }
    }

    /** GFLOP/s of the same product computed by oneDNN as a 1x1 convolution: n = 64 * 64 pixels. */
    public static double convGemmGflops(int n) {
        try (NDManager m = NDManager.newBaseManager()) {
            int side = (int) Math.sqrt(n);
            NDArray nhwc = m.randomNormal(new Shape(1, side, side, n));
            NDArray image = nhwc.transpose(0, 3, 1, 2); // channels-last storage, as the network's maps
            NDArray weight = m.randomNormal(new Shape(n, n, 1, 1));
            return gflops(n, x -> Conv2d.conv2d(x, weight).singletonOrThrow(), image);
        }
    }

    private static double gflops(int n, Function<NDArray, NDArray> product, NDArray input) {
        double[] seconds = new double[5];
        product.apply(input).close(); // warm-up: oneDNN builds its kernels, the allocator its pools
        for (int i = 0; i < seconds.length; i++) {
            long start = System.nanoTime();
            product.apply(input).close(); // libtorch's CPU ops return when the result is complete
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(seconds);
        return 2.0 * n * n * n / seconds[seconds.length / 2] / 1e9;
    }

    public static void main(String[] args) {
        double sgemm = sgemmGflops(N);
        double conv = convGemmGflops(N);
        System.out.printf(
                "{\"gflops\": %.1f, \"sgemm_gflops\": %.1f, \"conv_gemm_gflops\": %.1f, \"n\": %d}%n",
                Math.max(sgemm, conv), sgemm, conv, N);
    }
}
