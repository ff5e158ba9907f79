package org.densenet4j.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.densenet4j.data.Batch;
import org.densenet4j.data.BatchLoader;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.InMemoryDataset;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.StemType;
import org.densenet4j.model.TestNetworks;
import org.densenet4j.train.FashionMnist;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** densenet4j's own int8 module against the float32 network it was compiled from. */
class Int8ModelTest {

    @BeforeAll
    static void needsInt8() {
        Assumptions.assumeTrue(Precision.INT8.isSupported(), "this CPU has neither avx512_vnni nor amx_int8");
    }

    /**
     * The bundled Fashion-MNIST model, calibrated on 256 training images, on all 10,000 test images: top-1 within 0.5
     * points of float32 and at least 99% of labels the same.
     */
    @Test
    void theBundledModelKeepsItsAccuracyInInt8() throws Exception {
        TestNetworks.assumeCorrectConvolutions();
        DatasetSplits fashion = FashionMnist.splits(Integer.MAX_VALUE, Integer.MAX_VALUE);
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel bundled = ModelFiles.open(org.densenet4j.zoo.BundledModel.path(), m);
            Int8Calibration calibration = Int8Model.calibrate(Int8Source.of(bundled), fashion.train(), 256);
            assertEquals(256, calibration.images());
            try (Int8Model int8 = Int8Model.compile(Int8Source.of(bundled), calibration)) {
                Comparison c = compare(bundled, int8.inferenceBlock(m), fashion.test(), bundled.spec(), m);
                assertEquals(10_000, c.images);
                double fp32 = 100.0 * c.rightFloat / c.images;
                double q = 100.0 * c.rightInt8 / c.images;
                System.out.printf(
                        "bundled model, 10,000 test images: top-1 %.2f%% float32, %.2f%% int8, %d labels the same%n",
                        fp32, q, c.same);
                assertTrue(Math.abs(fp32 - q) <= 0.5, "top-1 " + q + "% in int8 against " + fp32 + "% in float32");
                assertTrue(c.same >= 0.99 * c.images, c.same + " of " + c.images + " labels the same as float32");
            }
        }
    }

    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of(
                        "ImageNet stem, bottleneck",
                        LayerType.BOTTLENECK,
                        ConcatOrder.INPUT_FIRST,
                        StemType.IMAGENET,
                        3,
                        64),
                Arguments.of("paper CIFAR, grey", LayerType.BOTTLENECK, ConcatOrder.INPUT_FIRST, StemType.CIFAR, 1, 32),
                Arguments.of("basic layers", LayerType.BASIC, ConcatOrder.INPUT_FIRST, StemType.CIFAR, 3, 32),
                Arguments.of(
                        "blog code's order",
                        LayerType.BOTTLENECK,
                        ConcatOrder.NEW_FEATURES_FIRST,
                        StemType.CIFAR,
                        3,
                        32));
    }

    /**
     * Every family's int8 module computes what its float32 network does, within int8's precision: calibrated and
     * checked on the same random images, the logits within 8% of the largest and most labels the same. (A wrong
     * scale, concatenation order or weight layout is off by about the logits' size.)
     */
    @ParameterizedTest(name = "int8 {0}")
    @MethodSource("families")
    void everyFamilyAgreesWithFloat32(
            String family, LayerType layer, ConcatOrder order, StemType stem, int channels, int side) throws Exception {
        TestNetworks.assumeCorrectConvolutions();
        DenseNetConfig config = TestNetworks.small(layer, order, stem, channels, 10);
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(config);
            net.initialize(
                    m, ai.djl.ndarray.types.DataType.FLOAT32, new ai.djl.ndarray.types.Shape(1, channels, side, side));
            TestNetworks.randomizeNorms(net, m);
            ModelSpec spec = new ModelSpec(
                    "test", config, side, side, classNames(), new Normalization(new float[channels], ones(channels)));
            TrainedModel model = new TrainedModel(spec, net);
            ImageDataset images = randomImages(64, channels, side);
            Int8Source source = Int8Source.of(model);
            try (Int8Model int8 = Int8Model.compile(source, Int8Model.calibrate(source, images, 64))) {
                Comparison c = compare(model, int8.inferenceBlock(m), images, spec, m);
                assertTrue(
                        c.worst <= 0.08 * c.largest,
                        family + ": int8 logits off by " + c.worst + ", largest float32 logit " + c.largest);
                assertTrue(c.same >= 0.8 * c.images, family + ": " + c.same + " of " + c.images + " labels the same");
            }
        }
    }

    private static final class Comparison {
        int images;
        int rightFloat;
        int rightInt8;
        int same;
        double worst;
        double largest;
    }

    private static Comparison compare(TrainedModel model, Block int8, ImageDataset data, ModelSpec spec, NDManager m) {
        Comparison c = new Comparison();
        ParameterStore ps = new ParameterStore(m, false);
        int k = spec.config().classes();
        try (NDManager scope = m.newSubManager();
                BatchLoader loader = BatchLoader.evaluation(data, 100, spec.normalization())) {
            Block full = model.inferenceBlock(scope);
            while (loader.hasNext()) {
                Batch b = loader.next();
                try (NDManager batch = m.newSubManager()) {
                    NDArray x = batch.create(b.data(), spec.batchShape(b.count()));
                    float[] f = full.forward(ps, new NDList(x), false)
                            .singletonOrThrow()
                            .toFloatArray();
                    float[] q = int8.forward(ps, new NDList(x), false)
                            .singletonOrThrow()
                            .toFloatArray();
                    for (int i = 0; i < b.count(); i++) {
                        int bf = 0;
                        int bq = 0;
                        for (int j = 0; j < k; j++) {
                            bf = f[i * k + j] > f[i * k + bf] ? j : bf;
                            bq = q[i * k + j] > q[i * k + bq] ? j : bq;
                            c.worst = Math.max(c.worst, Math.abs(f[i * k + j] - q[i * k + j]));
                            c.largest = Math.max(c.largest, Math.abs(f[i * k + j]));
                        }
                        c.images++;
                        c.rightFloat += bf == b.labels()[i] ? 1 : 0;
                        c.rightInt8 += bq == b.labels()[i] ? 1 : 0;
                        c.same += bf == bq ? 1 : 0;
                    }
                }
            }
        }
        return c;
    }

    private static ImageDataset randomImages(int n, int channels, int side) {
        byte[] pixels = new byte[n * channels * side * side];
        new Random(7).nextBytes(pixels);
        return new InMemoryDataset("random", channels, side, side, pixels, new int[n], classNames());
    }

    private static List<String> classNames() {
        return List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 0.25f);
        return a;
    }
}
