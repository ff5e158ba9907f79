package org.densenet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.densenet4j.data.Normalization;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.StemType;
import org.densenet4j.model.TestFamilies;
import org.densenet4j.model.TestNetworks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** CAM and Grad-CAM are what their definitions say, for every family of DenseNet. */
class ExplainerTest {

    static Stream<Arguments> families() {
        return TestFamilies.all().stream()
                .map(f -> Arguments.of(
                        f.name(), f.layerType(), f.order(), f.stem(), new Shape(1, f.channels(), f.side(), f.side())));
    }

    private static float scale(float[] values) {
        float s = 0;
        for (float v : values) {
            s = Math.max(s, Math.abs(v));
        }
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void camIsTheClassifierAppliedToTheFinalMapsAndGradCamAtTheLastBlockIsItsPositivePartOverTheArea(
            String family, LayerType layerType, ConcatOrder order, StemType stem, Shape shape) {
        DenseNetConfig config = TestNetworks.small(layerType, order, stem, (int) shape.get(1), 5);
        Engine.getInstance().setRandomSeed(5);
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(config);
            net.initialize(m, DataType.FLOAT32, shape);
            TestNetworks.randomizeNorms(net, m);
            List<String> names = IntStream.range(0, 5).mapToObj(i -> "c" + i).collect(Collectors.toList());
            float[] ones = new float[(int) shape.get(1)];
            java.util.Arrays.fill(ones, 1);
            ModelSpec spec = new ModelSpec(
                    "test",
                    config,
                    (int) shape.get(2),
                    (int) shape.get(3),
                    names,
                    new Normalization(new float[ones.length], ones));
            Explainer explainer = new Explainer(net, spec, m);
            NDArray x = m.randomNormal(shape);
            ParameterStore ps = new ParameterStore(m, false);

            // The plain network's CAM, from its definition: sum_c W[k][c] * relu(bn(last block output)).
            NDArray last = net.blockOutput(ps, x, 3);
            NDArray features = net.head().rectify(ps, new NDList(last), false, null);
            NDArray weight =
                    net.head().classifier().getParameters().get("weight").getArray();
            NDArray bias = net.head().classifier().getParameters().get("bias").getArray();
            float[] logits =
                    net.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
            long h = features.getShape().get(2);
            long w = features.getShape().get(3);
            for (int k = 0; k < 5; k++) {
                NDArray plain = features.get(0)
                        .reshape(features.getShape().get(1), -1)
                        .transpose()
                        .matMul(weight.get(k).reshape(-1, 1))
                        .reshape(h, w);
                Explanation cam = explainer.explain(x, Integer.toString(k), Explainer.Method.CAM, 3);
                float[] expected = plain.toFloatArray();
                float tolerance = 1e-4f * scale(expected);
                double mean = 0;
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], cam.map()[i], tolerance, family + " CAM class " + k + " at " + i);
                    mean += cam.map()[i] / expected.length;
                }
                assertEquals(logits[k] - bias.getFloat(k), mean, 1e-4 * scale(logits), "CAM's mean is logit - bias");

                Explanation grad = explainer.explain(x, Integer.toString(k), Explainer.Method.GRAD_CAM, 3);
                assertEquals(h, grad.height());
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(
                            Math.max(0, expected[i]) / (h * w),
                            grad.map()[i],
                            tolerance / (h * w),
                            family + " Grad-CAM = relu(CAM) / area, class " + k + " at " + i);
                }
            }
            Explanation inner = explainer.explain(x, "top", Explainer.Method.GRAD_CAM, 2);
            assertTrue(inner.height() > h, "block 2's maps are larger than the final ones");
            for (float v : inner.map()) {
                assertTrue(v >= 0, "Grad-CAM is rectified");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void unknownClassesAndLayersNameTheValidOnes(
            String family, LayerType layerType, ConcatOrder order, StemType stem, Shape shape) {
        DenseNetConfig config = DenseNetConfig.builder()
                .setGrowthRate(4)
                .setBlockLayers(2, 2)
                .optLayerType(layerType)
                .optConcatOrder(order)
                .optStem(stem)
                .optStemWidth(8)
                .optInputChannels((int) shape.get(1))
                .optClasses(3)
                .build();
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(config);
            net.initialize(m, DataType.FLOAT32, shape);
            float[] ones = new float[(int) shape.get(1)];
            java.util.Arrays.fill(ones, 1);
            Explainer explainer = new Explainer(
                    net,
                    new ModelSpec(
                            "t",
                            config,
                            (int) shape.get(2),
                            (int) shape.get(3),
                            List.of("cat", "dog", "fox"),
                            new Normalization(new float[ones.length], ones)),
                    m);
            NDArray x = m.randomNormal(shape);
            assertEquals(
                    "dog", explainer.explain(x, "dog", Explainer.Method.CAM, 2).label());
            IllegalArgumentException name = assertThrows(
                    IllegalArgumentException.class, () -> explainer.explain(x, "owl", Explainer.Method.CAM, 2));
            assertTrue(
                    name.getMessage().contains("[cat, dog, fox]")
                            && name.getMessage().contains("0..2"),
                    name.getMessage());
            assertThrows(IllegalArgumentException.class, () -> explainer.explain(x, "3", Explainer.Method.CAM, 2));
            IllegalArgumentException layer = assertThrows(
                    IllegalArgumentException.class, () -> explainer.explain(x, "top", Explainer.Method.GRAD_CAM, 5));
            assertTrue(layer.getMessage().contains("block1..block2"), layer.getMessage());
            assertThrows(IllegalArgumentException.class, () -> explainer.explain(x, "top", Explainer.Method.CAM, 1));
        }
    }

    @Test
    void aModelExplainedByCamAloneIsNotSentToGradCamForAnEarlierBlock() {
        DenseNetConfig config = DenseNetConfig.builder()
                .setGrowthRate(4)
                .setBlockLayers(2, 2)
                .optStemWidth(8)
                .optInputChannels(1)
                .optClasses(3)
                .build();
        try (NDManager m = NDManager.newBaseManager()) {
            ModelSpec spec = new ModelSpec(
                    "t", config, 16, 16, List.of("cat", "dog", "fox"), new Normalization(new float[1], new float[] {1
                    }));
            Explainer explainer = Explainer.camOnly(
                    spec,
                    images -> {
                        throw new AssertionError("an earlier block is refused before the model runs");
                    },
                    m);
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> explainer.explain(m.zeros(new Shape(1, 1, 16, 16)), "top", Explainer.Method.CAM, 1));
            assertTrue(e.getMessage().contains("final feature maps (block2)"), e.getMessage());
            assertTrue(e.getMessage().contains("gradcam in fp32"), e.getMessage());
            assertFalse(e.getMessage().contains("use gradcam"), "gradcam is refused on this model: " + e.getMessage());
        }
    }
}
