package org.densenet4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * The machine's FP32 matrix-multiply peak as densenet4j's own libtorch (MKL) reaches it: the median of
 * five n=4096 sgemm calls after a warm-up. Every throughput figure is set against it.
 *
 * <pre>java -cp ... org.densenet4j.bench.MatmulPeak</pre> prints {@code {"gflops": ..., "n": 4096}}.
 */
public final class MatmulPeak {

    private MatmulPeak() {}

    /** GFLOP/s of an n x n x n float32 matrix multiply. */
    public static double gflops(int n) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            double[] seconds = new double[5];
            try (NDArray warm = a.matMul(b)) {
                warm.getFloat(0, 0);
            }
            for (int i = 0; i < seconds.length; i++) {
                long start = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);
                }
                seconds[i] = (System.nanoTime() - start) / 1e9;
            }
            Arrays.sort(seconds);
            return 2.0 * n * n * n / seconds[seconds.length / 2] / 1e9;
        }
    }

    public static void main(String[] args) {
        System.out.printf("{\"gflops\": %.1f, \"n\": 4096}%n", gflops(4096));
    }
}
