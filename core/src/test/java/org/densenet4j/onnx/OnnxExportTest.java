package org.densenet4j.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.FoldedDenseNet;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.StemType;
import org.densenet4j.model.TestNetworks;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An exported ONNX model, run by ONNX Runtime with full optimisation, gives densenet4j's logits within 1e-4 of
 * the largest, for every family, grey and colour input, any class count, any batch, folded or not.
 */
class OnnxExportTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.densenet4j.model.TestFamilies#arguments")
    void onnxRuntimeGivesDensenet4jsLogits(
            String family, LayerType layerType, ConcatOrder order, StemType stem, int channels, int side, int classes)
            throws Exception {
        DenseNetConfig config = TestNetworks.small(layerType, order, stem, channels, classes);
        Engine.getInstance().setRandomSeed(11);
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(config);
            net.initialize(m, DataType.FLOAT32, new Shape(1, channels, side, side));
            TestNetworks.randomizeNorms(net, m);
            float[] mean = new float[channels];
            float[] std = new float[channels];
            java.util.Arrays.fill(mean, 0.5f);
            java.util.Arrays.fill(std, 0.25f);
            List<String> names =
                    IntStream.range(0, classes).mapToObj(i -> "c" + i).collect(Collectors.toList());
            TrainedModel model = new TrainedModel(
                    new ModelSpec("test", config, side, side, names, new Normalization(mean, std)), net);
            for (boolean fold : new boolean[] {false, true}) {
                Path file = tmp.resolve(family.replace(' ', '-') + (fold ? "-folded" : "") + ".onnx");
                int nodes = OnnxExport.write(model, fold, file);
                assertEquals(
                        nodes,
                        Onnx.ModelProto.parseFrom(Files.readAllBytes(file))
                                .getGraph()
                                .getNodeCount());
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                    try (OrtSession session = env.createSession(file.toString(), options)) {
                        Map<String, String> meta = session.getMetadata().getCustomMetadata();
                        assertEquals(new com.google.gson.Gson().toJson(names), meta.get("classes"));
                        assertEquals(channels + "x" + side + "x" + side, meta.get("input"));
                        for (int batch : new int[] {2, 3}) {
                            NDArray x = m.randomNormal(new Shape(batch, channels, side, side));
                            float[] expected;
                            try (FoldedDenseNet folded = FoldedDenseNet.of(net, m)) {
                                expected = folded.forward(new ParameterStore(m, false), new NDList(x), false)
                                        .singletonOrThrow()
                                        .toFloatArray();
                            }
                            float[] actual;
                            try (OnnxTensor input = OnnxTensor.createTensor(
                                            env,
                                            FloatBuffer.wrap(x.toFloatArray()),
                                            new long[] {batch, channels, side, side});
                                    OrtSession.Result result = session.run(Map.of("images", input))) {
                                float[][] logits = (float[][]) result.get(0).getValue();
                                assertEquals(batch, logits.length);
                                actual = new float[batch * classes];
                                for (int i = 0; i < batch; i++) {
                                    System.arraycopy(logits[i], 0, actual, i * classes, classes);
                                }
                            }
                            TestNetworks.assertClose(
                                    expected, actual, family + (fold ? " folded" : "") + " batch " + batch);
                        }
                    }
                }
            }
        }
    }
}
