package org.densenet4j.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.densenet4j.data.Batch;
import org.densenet4j.data.BatchLoader;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.InMemoryDataset;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.NonFiniteOutputException;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.DenseLayer;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.TestFamilies;
import org.densenet4j.model.TestNetworks;
import org.densenet4j.script.Int8Calibration;
import org.densenet4j.script.Int8Model;
import org.densenet4j.script.Int8Source;
import org.densenet4j.train.FashionMnist;
import org.densenet4j.zoo.BundledModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The int8 ONNX export (QDQ form) run by ONNX Runtime: it computes densenet4j's own int8 network (the same points,
 * scales and int8 weights as the TorchScript module run by libtorch's fbgemm), ONNX Runtime turns every convolution
 * into an int8 {@code QLinearConv}, and on real data it keeps float32's accuracy.
 */
class OnnxInt8ExportTest {

    @TempDir
    Path tmp;

    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    /**
     * Gives the first dense layer's bottleneck a dead channel (its BN's gamma 0): folded, that channel's weights are all
     * zero and its bias is the BN's beta, which an int32 bias at the weights' scale could not hold.
     */
    private static void deadChannel(DenseNet net) {
        DenseLayer first = net.denseBlocks().get(0).layers().get(0);
        if (first.isBottleneck()) {
            NDArray gamma = first.norm2().getParameters().get("gamma").getArray();
            gamma.set(new NDIndex(0), 0f);
            first.norm2().getParameters().get("beta").getArray().set(new NDIndex(0), 0.5f);
        }
    }

    /**
     * Every family, calibrated on 64 random images (one bottleneck channel dead, {@link #deadChannel}): ONNX Runtime's logits on them stay within 3% of the largest of
     * densenet4j's int8 module's (two int8 engines round a few maps differently; a wrong scale, weight layout or
     * concatenation order is off by about the logits' size) and within int8's 8% of float32's.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.densenet4j.model.TestFamilies#all")
    void onnxRuntimeComputesDensenet4jsInt8Network(TestFamilies.Family family) throws Exception {
        TestNetworks.assumeCorrectConvolutions();
        int channels = family.channels();
        int side = family.side();
        DenseNetConfig config = family.config();
        ai.djl.engine.Engine.getInstance().setRandomSeed(5);
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(config);
            net.initialize(m, DataType.FLOAT32, new Shape(1, channels, side, side));
            TestNetworks.randomizeNorms(net, m);
            deadChannel(net);
            float[] std = new float[channels];
            java.util.Arrays.fill(std, 0.25f);
            ModelSpec spec = new ModelSpec(
                    "test",
                    config,
                    side,
                    side,
                    classNames(config.classes()),
                    new Normalization(new float[channels], std));
            TrainedModel model = new TrainedModel(spec, net);
            ImageDataset images = randomImages(64, channels, side, config.classes());
            Int8Calibration calibration = Int8Model.calibrate(Int8Source.of(model), images, 64);
            Path file = tmp.resolve("int8.onnx");
            int nodes = OnnxExport.writeInt8(Int8Source.of(model), calibration, file);
            Onnx.ModelProto written = Onnx.ModelProto.parseFrom(Files.readAllBytes(file));
            assertEquals(nodes, written.getGraph().getNodeCount());
            Map<String, String> meta = written.getMetadataPropsList().stream()
                    .collect(Collectors.toMap(
                            Onnx.StringStringEntryProto::getKey, Onnx.StringStringEntryProto::getValue));
            assertEquals("int8", meta.get("precision"));
            assertTrue(meta.get("quantization").contains("\"images\": 64"), meta.get("quantization"));

            Comparison c = new Comparison();
            try (OrtSession session = session(file, OrtSession.SessionOptions.OptLevel.ALL_OPT);
                    BatchLoader loader = BatchLoader.evaluation(images, 32, spec.normalization());
                    Int8Model int8 = Precision.INT8.isSupported()
                            ? Int8Model.compile(Int8Source.of(model), calibration)
                            : null) {
                Block float32 = model.inferenceBlock(m);
                while (loader.hasNext()) {
                    Batch b = loader.next();
                    try (NDManager scope = m.newSubManager()) {
                        NDArray x = scope.create(b.data(), spec.batchShape(b.count()));
                        float[] ort = run(
                                session, b.data(), spec.batchShape(b.count()).getShape());
                        c.add(forward(float32, x), ort, forward(int8 == null ? null : int8.inferenceBlock(m), x), b);
                    }
                }
            }
            assertEquals(64, c.images);
            assertTrue(
                    c.offFloat <= 0.08 * c.largest,
                    family + ": ONNX Runtime's int8 logits off float32's by " + c.offFloat + ", largest " + c.largest);
            if (Precision.INT8.isSupported()) {
                assertTrue(
                        c.offInt8 <= 0.03 * c.largest,
                        family + ": ONNX Runtime's int8 logits off densenet4j's int8 module's by " + c.offInt8
                                + ", largest " + c.largest);
                assertTrue(c.sameAsInt8 >= 0.95 * c.images, family + ": " + c.sameAsInt8 + " of 64 labels the same");
            }
        }
    }

    /** ONNX Runtime fuses every convolution of the QDQ graph into an int8 QLinearConv: no float32 Conv is left. */
    @Test
    void onnxRuntimeRunsEveryConvolutionInInt8() throws Exception {
        TestFamilies.Family family = TestFamilies.all().get(2);
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = randomModel(family, m);
            Int8Calibration calibration = Int8Model.calibrate(
                    Int8Source.of(model), randomImages(16, family.channels(), family.side(), family.classes()), 16);
            Path file = tmp.resolve("int8.onnx");
            OnnxExport.writeInt8(Int8Source.of(model), calibration, file);
            long convolutions = Onnx.ModelProto.parseFrom(Files.readAllBytes(file)).getGraph().getNodeList().stream()
                    .filter(n -> n.getOpType().equals("Conv"))
                    .count();
            assertTrue(convolutions > 10, convolutions + " convolutions");
            Path optimized = tmp.resolve("optimized.onnx");
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
                options.setOptimizedModelFilePath(optimized.toString());
                ENV.createSession(file.toString(), options).close();
            }
            Map<String, Long> ops =
                    Onnx.ModelProto.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList().stream()
                            .collect(Collectors.groupingBy(Onnx.NodeProto::getOpType, Collectors.counting()));
            assertEquals(convolutions, ops.getOrDefault("QLinearConv", 0L), "operators after optimisation: " + ops);
            assertFalse(ops.containsKey("Conv"), "a float32 Conv is left: " + ops);
        }
    }

    /** A calibration made for another network is refused before anything is written. */
    @Test
    void aCalibrationOfAnotherNetworkIsRefused() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            TestFamilies.Family one = TestFamilies.all().get(2);
            TestFamilies.Family other = TestFamilies.all().get(1); // basic layers: no bottleneck points
            TrainedModel model = randomModel(one, m);
            Int8Calibration foreign = Int8Model.calibrate(
                    Int8Source.of(randomModel(other, m)),
                    randomImages(4, other.channels(), other.side(), other.classes()),
                    4);
            Path file = tmp.resolve("refused.onnx");
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> OnnxExport.writeInt8(Int8Source.of(model), foreign, file));
            assertTrue(e.getMessage().contains("another network"), e.getMessage());
            assertFalse(Files.exists(file));
        }
    }

    /**
     * A weight holding NaN (a damaged model whose stored calibration still matches it) is refused by both int8 exports
     * before anything is written: quantized, it would become a finite int8 value that answers confidently.
     */
    @Test
    void nonFiniteWeightsAreRefused() throws Exception {
        TestFamilies.Family family = TestFamilies.all().get(2);
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = randomModel(family, m);
            Int8Calibration calibration = Int8Model.calibrate(
                    Int8Source.of(model), randomImages(4, family.channels(), family.side(), family.classes()), 4);
            NDArray weight = model.network()
                    .denseBlocks()
                    .get(1)
                    .layers()
                    .get(0)
                    .conv1()
                    .getParameters()
                    .get("weight")
                    .getArray();
            float[] values = weight.toFloatArray();
            values[3] = Float.NaN;
            weight.set(values);
            Path onnx = tmp.resolve("nan.onnx");
            NonFiniteOutputException e = assertThrows(
                    NonFiniteOutputException.class,
                    () -> OnnxExport.writeInt8(Int8Source.of(model), calibration, onnx));
            assertTrue(e.getMessage().contains("NaN or infinite"), e.getMessage());
            assertFalse(Files.exists(onnx));
            Path archive = tmp.resolve("nan.pt");
            NonFiniteOutputException refused = assertThrows(
                    NonFiniteOutputException.class, () -> Int8Model.export(Int8Source.of(model), calibration, archive));
            assertTrue(refused.getMessage().contains("NaN or infinite"), refused.getMessage());
            assertFalse(Files.exists(archive));
        }
    }

    /**
     * The bundled Fashion-MNIST model exported in int8 (calibrated on 256 training images) and run by ONNX Runtime on
     * all 10,000 test images: top-1 within 0.5 points of float32, at least 99% of labels the same as float32's.
     */
    @Test
    void theBundledModelKeepsItsAccuracyInOnnxRuntime() throws Exception {
        TestNetworks.assumeCorrectConvolutions();
        DatasetSplits fashion = FashionMnist.splits(Integer.MAX_VALUE, Integer.MAX_VALUE);
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel bundled = ModelFiles.open(BundledModel.path(), m);
            ModelSpec spec = bundled.spec();
            Path file = tmp.resolve("bundled-int8.onnx");
            Int8Source source = Int8Source.of(bundled);
            OnnxExport.writeInt8(source, Int8Model.calibrate(source, fashion.train(), 256), file);
            Comparison c = new Comparison();
            try (OrtSession session = session(file, OrtSession.SessionOptions.OptLevel.ALL_OPT);
                    BatchLoader loader = BatchLoader.evaluation(fashion.test(), 250, spec.normalization())) {
                Block float32 = bundled.inferenceBlock(m);
                while (loader.hasNext()) {
                    Batch b = loader.next();
                    try (NDManager scope = m.newSubManager()) {
                        NDArray x = scope.create(b.data(), spec.batchShape(b.count()));
                        c.add(
                                forward(float32, x),
                                run(
                                        session,
                                        b.data(),
                                        spec.batchShape(b.count()).getShape()),
                                null,
                                b);
                    }
                }
            }
            assertEquals(10_000, c.images);
            double fp32 = 100.0 * c.rightFloat / c.images;
            double int8 = 100.0 * c.rightOnnx / c.images;
            System.out.printf(
                    "bundled model, 10,000 test images: top-1 %.2f%% float32, %.2f%% int8 ONNX (ONNX Runtime), %d labels "
                            + "the same%n",
                    fp32, int8, c.sameAsFloat);
            assertTrue(Math.abs(fp32 - int8) <= 0.5, "top-1 " + int8 + "% in int8 ONNX against " + fp32 + "%");
            assertTrue(c.sameAsFloat >= 0.99 * c.images, c.sameAsFloat + " of 10,000 labels the same as float32");
        }
    }

    /** Logits of three runs of the same images compared: float32, ONNX Runtime's int8, densenet4j's int8 (or null). */
    private static final class Comparison {
        int images;
        int rightFloat;
        int rightOnnx;
        int sameAsFloat;
        int sameAsInt8;
        double offFloat;
        double offInt8;
        double largest;

        void add(float[] f, float[] onnx, float[] int8, Batch b) {
            int k = f.length / b.count();
            for (int i = 0; i < b.count(); i++) {
                for (int j = 0; j < k; j++) {
                    offFloat = Math.max(offFloat, Math.abs(f[i * k + j] - onnx[i * k + j]));
                    largest = Math.max(largest, Math.abs(f[i * k + j]));
                    if (int8 != null) {
                        offInt8 = Math.max(offInt8, Math.abs(int8[i * k + j] - onnx[i * k + j]));
                    }
                }
                int top = argmax(onnx, i, k);
                images++;
                rightFloat += argmax(f, i, k) == b.labels()[i] ? 1 : 0;
                rightOnnx += top == b.labels()[i] ? 1 : 0;
                sameAsFloat += top == argmax(f, i, k) ? 1 : 0;
                sameAsInt8 += int8 != null && top == argmax(int8, i, k) ? 1 : 0;
            }
        }

        private static int argmax(float[] logits, int row, int k) {
            int best = 0;
            for (int j = 1; j < k; j++) {
                best = logits[row * k + j] > logits[row * k + best] ? j : best;
            }
            return best;
        }
    }

    private static float[] forward(Block block, NDArray x) {
        if (block == null) {
            return null;
        }
        return block.forward(new ParameterStore(x.getManager(), false), new NDList(x), false)
                .singletonOrThrow()
                .toFloatArray();
    }

    private static OrtSession session(Path file, OrtSession.SessionOptions.OptLevel level) throws Exception {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(level);
            options.setIntraOpNumThreads(2);
            return ENV.createSession(file.toString(), options);
        }
    }

    private static float[] run(OrtSession session, float[] data, long[] shape) throws Exception {
        try (OnnxTensor input = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(data), shape);
                OrtSession.Result result = session.run(Map.of("images", input))) {
            float[][] logits = (float[][]) result.get(0).getValue();
            int k = logits[0].length;
            float[] flat = new float[logits.length * k];
            for (int i = 0; i < logits.length; i++) {
                System.arraycopy(logits[i], 0, flat, i * k, k);
            }
            return flat;
        }
    }

    private static TrainedModel randomModel(TestFamilies.Family family, NDManager m) {
        DenseNetConfig config = family.config();
        DenseNet net = new DenseNet(config);
        net.initialize(m, DataType.FLOAT32, new Shape(1, family.channels(), family.side(), family.side()));
        TestNetworks.randomizeNorms(net, m);
        float[] std = new float[family.channels()];
        java.util.Arrays.fill(std, 0.25f);
        return new TrainedModel(
                new ModelSpec(
                        "test",
                        config,
                        family.side(),
                        family.side(),
                        classNames(config.classes()),
                        new Normalization(new float[family.channels()], std)),
                net);
    }

    private static ImageDataset randomImages(int n, int channels, int side, int classes) {
        byte[] pixels = new byte[n * channels * side * side];
        new Random(7).nextBytes(pixels);
        return new InMemoryDataset("random", channels, side, side, pixels, new int[n], classNames(classes));
    }

    private static List<String> classNames(int classes) {
        return IntStream.range(0, classes).mapToObj(i -> "c" + i).collect(Collectors.toList());
    }
}
