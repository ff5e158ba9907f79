package org.densenet4j.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
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
 * A TorchScript archive densenet4j writes loads in DJL's LibTorch 2.7.1 as a {@code PtSymbolBlock} and gives
 * densenet4j's logits within 1e-4 of the largest, for every family, grey and colour input, any batch.
 */
class TorchScriptExportTest {

    @TempDir
    Path tmp;

    /** Every preset family, as the ONNX export is tested. */
    /** A model of {@code config} with random weights and BN statistics (the same for the same seed), identity norm. */
    private static TrainedModel randomModel(DenseNetConfig config, int side, int seed, NDManager m) {
        Engine.getInstance().setRandomSeed(seed);
        int channels = config.inputChannels();
        DenseNet net = new DenseNet(config);
        net.initialize(m, DataType.FLOAT32, new Shape(1, channels, side, side));
        TestNetworks.randomizeNorms(net, m);
        float[] mean = new float[channels];
        float[] std = new float[channels];
        java.util.Arrays.fill(std, 1f);
        List<String> names =
                IntStream.range(0, config.classes()).mapToObj(i -> "c" + i).collect(Collectors.toList());
        return new TrainedModel(new ModelSpec("test", config, side, side, names, new Normalization(mean, std)), net);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.densenet4j.model.TestFamilies#arguments")
    void libtorchRunsTheArchiveWithDensenet4jsLogits(
            String family, LayerType layerType, ConcatOrder order, StemType stem, int channels, int side, int classes)
            throws Exception {
        DenseNetConfig config = TestNetworks.small(layerType, order, stem, channels, classes);
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = randomModel(config, side, 13, m);
            DenseNet net = model.network();
            List<String> names = model.spec().classNames();
            Path dir = tmp.resolve(family.replace(' ', '-').replace(",", ""));
            java.nio.file.Files.createDirectories(dir);
            TorchScriptExport.write(model, dir.resolve("model.pt"));
            try (Model scripted = Model.newInstance("scripted", Device.cpu(), "PyTorch")) {
                scripted.load(dir, "model", Map.of("extraFiles", "classes.json"));
                assertEquals(new com.google.gson.Gson().toJson(names), scripted.getProperty("classes.json"));
                for (int batch : new int[] {1, 3}) {
                    NDArray x = m.randomNormal(new Shape(batch, channels, side, side));
                    float[] expected;
                    try (FoldedDenseNet folded = FoldedDenseNet.of(net, m)) {
                        expected = folded.forward(new ParameterStore(m, false), new NDList(x), false)
                                .singletonOrThrow()
                                .toFloatArray();
                    }
                    NDArray input = scripted.getNDManager().create(x.toFloatArray(), x.getShape());
                    float[] actual = scripted.getBlock()
                            .forward(new ParameterStore(scripted.getNDManager(), false), new NDList(input), false)
                            .singletonOrThrow()
                            .toFloatArray();
                    TestNetworks.assertClose(expected, actual, family + " batch " + batch);
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void theBundledModelRunsFromItsArchiveInClassifierZooAndEvaluatorAlike() throws Exception {
        Path archive = tmp.resolve("bundled.pt");
        Path sample = Path.of("..", "models", "fashion-mnist", "samples", "test-0.png");
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel bundled = ModelFiles.open(org.densenet4j.zoo.BundledModel.path(), m);
            TorchScriptExport.write(bundled, archive);
            org.densenet4j.infer.InferenceModel scripted =
                    ModelFiles.openForInference(archive, ModelFiles.Options.none(), m, w -> {});
            // A float32 archive is read as data and runs as densenet4j's own network.
            assertTrue(scripted instanceof TrainedModel);
            assertEquals(bundled.spec(), scripted.spec());
            java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(sample.toFile());
            ai.djl.modality.Classifications direct =
                    new org.densenet4j.infer.ImageClassifier(bundled, m).classify(image);
            ai.djl.modality.Classifications viaArchive =
                    new org.densenet4j.infer.ImageClassifier(scripted, m).classify(image);
            assertEquals(direct.best().getClassName(), viaArchive.best().getClassName());
            assertEquals(direct.best().getProbability(), viaArchive.best().getProbability(), 1e-5);
        }
        ai.djl.repository.zoo.Criteria<ai.djl.modality.cv.Image, ai.djl.modality.Classifications> criteria =
                ai.djl.repository.zoo.Criteria.builder()
                        .setTypes(ai.djl.modality.cv.Image.class, ai.djl.modality.Classifications.class)
                        .optGroupId("org.densenet4j")
                        .optArgument("weights", archive.toString())
                        .build();
        try (var model = criteria.loadModel();
                var predictor = model.newPredictor()) {
            assertEquals(
                    "Ankle boot",
                    predictor
                            .predict(ai.djl.modality.cv.ImageFactory.getInstance()
                                    .fromFile(sample))
                            .best()
                            .getClassName());
        }
    }

    @org.junit.jupiter.api.Test
    void aBfloat16ArchiveAgreesWithFloat32WithinBfloat16sPrecision() throws Exception {
        try {
            org.densenet4j.infer.Precision.BF16.requireSupport();
        } catch (IllegalArgumentException e) {
            org.junit.jupiter.api.Assumptions.abort(e.getMessage());
        }
        Path archive = tmp.resolve("bundled-bf16.pt");
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel bundled = ModelFiles.open(org.densenet4j.zoo.BundledModel.path(), m);
            TorchScriptExport.write(bundled, archive, org.densenet4j.infer.Precision.BF16);
            org.densenet4j.infer.InferenceModel half =
                    ModelFiles.openForInference(archive, ModelFiles.Options.none(), m, w -> {});
            NDArray x = m.randomNormal(new Shape(16, 1, 28, 28));
            ParameterStore ps = new ParameterStore(m, false);
            float[] full = bundled.inferenceBlock(m)
                    .forward(ps, new NDList(x), false)
                    .singletonOrThrow()
                    .toFloatArray();
            NDArray out =
                    half.inferenceBlock(m).forward(ps, new NDList(x), false).singletonOrThrow();
            assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, out.getDataType(), "only float32 crosses JNI");
            float[] bf16 = out.toFloatArray();
            float scale = 0;
            float worst = 0;
            int agree = 0;
            for (int i = 0; i < 16; i++) {
                int a = 0;
                int b = 0;
                for (int c = 0; c < 10; c++) {
                    scale = Math.max(scale, Math.abs(full[i * 10 + c]));
                    worst = Math.max(worst, Math.abs(full[i * 10 + c] - bf16[i * 10 + c]));
                    a = full[i * 10 + c] > full[i * 10 + a] ? c : a;
                    b = bf16[i * 10 + c] > bf16[i * 10 + b] ? c : b;
                }
                agree += a == b ? 1 : 0;
            }
            // bfloat16 keeps 8 significant bits: logits within 5% of the largest, predictions nearly all equal.
            assertTrue(worst < 0.05 * scale, "largest difference " + worst + " of " + scale);
            assertTrue(agree >= 15, agree + " of 16 predictions agree");
        }
    }

    /**
     * bf16 parity for every preset family (ImageNet stem, the paper's CIFAR model in grey, the blog code's order):
     * the bfloat16 archive's logits within 2% of the largest float32 logit, for random weights and BN statistics
     * (measured on AMD EPYC for the ImageNet-stem, grey CIFAR and blog families: 0.30%, 0.59% and 0.49%).
     */
    @ParameterizedTest(name = "bf16 {0}")
    @MethodSource("org.densenet4j.model.TestFamilies#arguments")
    void bfloat16ArchivesAgreeWithFloat32ForEveryFamily(
            String family, LayerType layerType, ConcatOrder order, StemType stem, int channels, int side, int classes)
            throws Exception {
        try {
            org.densenet4j.infer.Precision.BF16.requireSupport();
        } catch (IllegalArgumentException e) {
            org.junit.jupiter.api.Assumptions.abort(e.getMessage());
        }
        DenseNetConfig config = TestNetworks.small(layerType, order, stem, channels, classes);
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = randomModel(config, side, 21, m);
            Path archive = tmp.resolve("bf16-" + family.replace(' ', '-').replace(",", "") + ".pt");
            TorchScriptExport.write(model, archive, org.densenet4j.infer.Precision.BF16);
            org.densenet4j.infer.InferenceModel half =
                    ModelFiles.openForInference(archive, ModelFiles.Options.none(), m, w -> {});
            NDArray x = m.randomNormal(new Shape(4, channels, side, side));
            ParameterStore ps = new ParameterStore(m, false);
            float[] full = model.inferenceBlock(m)
                    .forward(ps, new NDList(x), false)
                    .singletonOrThrow()
                    .toFloatArray();
            float[] bf16 = half.inferenceBlock(m)
                    .forward(ps, new NDList(x), false)
                    .singletonOrThrow()
                    .toFloatArray();
            float scale = 0;
            float worst = 0;
            for (int i = 0; i < full.length; i++) {
                scale = Math.max(scale, Math.abs(full[i]));
                worst = Math.max(worst, Math.abs(full[i] - bf16[i]));
            }
            assertTrue(scale > 0);
            assertTrue(worst < 0.02 * scale, family + ": largest difference " + worst + " of " + scale);
        }
    }
}
