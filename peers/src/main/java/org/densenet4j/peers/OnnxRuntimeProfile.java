package org.densenet4j.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;

/**
 * ONNX Runtime's own profile of an ONNX model (full graph optimisation, the harness's thread settings): runs it
 * {@code RUNS} times on Gaussian input and prints the profile's JSON path; {@code scripts/ort_profile_summary.py}
 * sums its kernel times per operator. Used to see where an int8 (QDQ) graph spends its time in ONNX Runtime.
 *
 * <pre>java -cp ... OnnxRuntimeProfile MODEL.onnx N C H W THREADS RUNS PROFILE_PREFIX</pre>
 */
public final class OnnxRuntimeProfile {

    private OnnxRuntimeProfile() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 8) {
            System.err.println("usage: OnnxRuntimeProfile MODEL.onnx N C H W THREADS RUNS PROFILE_PREFIX");
            System.exit(2);
        }
        long[] shape = {
            Long.parseLong(args[1]), Long.parseLong(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4])
        };
        float[] data = new float[(int) (shape[0] * shape[1] * shape[2] * shape[3])];
        Random random = new Random(1);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(Integer.parseInt(args[5]));
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.enableProfiling(args[7]);
            try (OrtSession session = env.createSession(args[0], options)) {
                String input = session.getInputNames().iterator().next();
                for (int i = 0; i < Integer.parseInt(args[6]); i++) {
                    try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
                            OrtSession.Result r = session.run(Map.of(input, t))) {
                        // the outputs are not needed: the profile records the time
                    }
                }
                System.out.println(session.endProfiling());
            }
        }
    }
}
