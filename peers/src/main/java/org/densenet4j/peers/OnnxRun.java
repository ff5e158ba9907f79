package org.densenet4j.peers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.densenet4j.io.NpyFile;
import org.densenet4j.onnx.Onnx;

/**
 * Runs an ONNX model with ONNX Runtime at full optimisation on a float32 NCHW batch and writes the first output,
 * for parity checks of exported models; prints the graph's node count before and after ORT's optimisation.
 *
 * <pre>java -cp ... OnnxRun MODEL.onnx X.npy Y.npy</pre>
 */
public final class OnnxRun {

    private OnnxRun() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: OnnxRun MODEL.onnx X.npy Y.npy");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        Path optimized = Files.createTempFile("densenet4j-ort-optimized", ".onnx");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (NDManager manager = NDManager.newBaseManager();
                OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setOptimizedModelFilePath(optimized.toString());
            NDArray x = NpyFile.read(Path.of(args[1]), manager);
            try (OrtSession session = env.createSession(model.toString(), options);
                    OnnxTensor input = OnnxTensor.createTensor(
                            env,
                            FloatBuffer.wrap(x.toFloatArray()),
                            x.getShape().getShape());
                    OrtSession.Result result = session.run(
                            Map.of(session.getInputNames().iterator().next(), input))) {
                float[][] y = (float[][]) result.get(0).getValue();
                float[] flat = new float[y.length * y[0].length];
                for (int i = 0; i < y.length; i++) {
                    System.arraycopy(y[i], 0, flat, i * y[0].length, y[0].length);
                }
                NpyFile.writeFloat32(
                        manager.create(flat, new ai.djl.ndarray.types.Shape(y.length, y[0].length)), Path.of(args[2]));
            }
            System.out.printf(
                    "nodes: %d as written, %d after ONNX Runtime's full optimisation%n",
                    Onnx.ModelProto.parseFrom(Files.readAllBytes(model))
                            .getGraph()
                            .getNodeCount(),
                    Onnx.ModelProto.parseFrom(Files.readAllBytes(optimized))
                            .getGraph()
                            .getNodeCount());
        } finally {
            Files.deleteIfExists(optimized);
        }
    }
}
