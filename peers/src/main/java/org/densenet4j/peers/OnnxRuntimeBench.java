package org.densenet4j.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.gson.Gson;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The ONNX Runtime peer: eval-mode inference of an exported model, with the same warm-up, median and
 * peak-RSS rules as {@code densenet4j bench}. Prints one JSON object.
 *
 * <pre>java -cp ... OnnxRuntimeBench MODEL.onnx N C H W THREADS WARMUP ITERATIONS</pre>
 */
public final class OnnxRuntimeBench {

    private OnnxRuntimeBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 8) {
            System.err.println("usage: OnnxRuntimeBench MODEL.onnx N C H W THREADS WARMUP ITERATIONS");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        long[] shape = {
            Long.parseLong(args[1]), Long.parseLong(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4])
        };
        int threads = Integer.parseInt(args[5]);
        int warmup = Integer.parseInt(args[6]);
        int iterations = Integer.parseInt(args[7]);
        float[] data = new float[(int) (shape[0] * shape[1] * shape[2] * shape[3])];
        Random random = new Random(1);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        double[] seconds = new double[iterations];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(model.toString(), options)) {
                String input = session.getInputNames().iterator().next();
                for (int i = 0; i < warmup + iterations; i++) {
                    long start = System.nanoTime();
                    run(env, session, input, data, shape);
                    if (i >= warmup) {
                        seconds[i - warmup] = (System.nanoTime() - start) / 1e9;
                    }
                }
            }
        }
        Arrays.sort(seconds);
        double median = seconds[iterations / 2];
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("images_per_second", shape[0] / median);
        out.put("median_seconds", median);
        out.put("peak_rss_bytes", peakRss());
        System.out.println(new Gson().toJson(out));
    }

    private static void run(OrtEnvironment env, OrtSession session, String input, float[] data, long[] shape)
            throws OrtException {
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
                OrtSession.Result result = session.run(Map.of(input, tensor))) {
            result.get(0).getValue();
        }
    }

    private static long peakRss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.trim().split("\\s+")[1]) * 1024;
            }
        }
        return -1;
    }
}
