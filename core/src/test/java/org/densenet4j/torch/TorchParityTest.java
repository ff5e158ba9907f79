package org.densenet4j.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.FoldedDenseNet;
import org.densenet4j.model.MemoryFormat;
import org.densenet4j.model.TestNetworks;
import org.densenet4j.train.NesterovSgd;
import org.densenet4j.train.TrainingPass;
import org.densenet4j.train.TrainingStep;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** densenet4j against PyTorch 1.13 on the same weights and inputs (fixtures from scripts/make_torch_fixtures.py). */
class TorchParityTest {

    @org.junit.jupiter.api.BeforeAll
    static void libtorchConvolvesCorrectlyHere() {
        TestNetworks.assumeCorrectConvolutions();
    }

    @TempDir
    Path tmp;

    static Iterable<String> fixtures() {
        return TorchFixture.names();
    }

    /** Every fixture in both memory formats: the plain NCHW reference and the default channels-last. */
    static Stream<Arguments> fixturesInEachFormat() {
        return StreamSupport.stream(fixtures().spliterator(), false)
                .flatMap(name -> Arrays.stream(MemoryFormat.values()).map(format -> Arguments.of(name, format)));
    }

    /** Every fixture with each training step in each memory format. */
    static Stream<Arguments> fixturesWithEachStep() {
        return fixturesInEachFormat().flatMap(a -> Arrays.stream(TrainingStep.values())
                .map(step -> Arguments.of(a.get()[0], a.get()[1], step)));
    }

    static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, what + "[" + i + "]");
        }
    }

    static float maxAbs(float[] values) {
        float m = 0;
        for (float v : values) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    static float[] logits(DenseNet net, NDArray input, NDManager manager) {
        return net.forward(new ParameterStore(manager, false), new NDList(input), false)
                .singletonOrThrow()
                .toFloatArray();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("fixturesInEachFormat")
    void evalLogitsMatchPyTorch(String name, MemoryFormat format) throws IOException {
        TorchFixture f = TorchFixture.load(name);
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = f.network(m);
            net.setMemoryFormat(format);
            float[] expected = f.npy(m, "logits.npy").toFloatArray();
            float[] actual = logits(net, f.npy(m, "input.npy"), m);
            assertClose(expected, actual, 1e-4 * maxAbs(expected), name + " logits");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void foldedInferenceLogitsMatchPyTorch(String name) throws IOException {
        TorchFixture f = TorchFixture.load(name);
        try (NDManager m = NDManager.newBaseManager()) {
            float[] expected = f.npy(m, "logits.npy").toFloatArray();
            try (FoldedDenseNet folded = FoldedDenseNet.of(f.network(m), m)) {
                float[] actual = folded.forward(new ParameterStore(m, false), new NDList(f.npy(m, "input.npy")), false)
                        .singletonOrThrow()
                        .toFloatArray();
                assertClose(expected, actual, 1e-4 * maxAbs(expected), name + " folded logits");
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("fixturesWithEachStep")
    void oneNesterovStepMatchesPyTorch(String name, MemoryFormat format, TrainingStep step) throws IOException {
        TorchFixture f = TorchFixture.load(name);
        try (Model model = Model.newInstance(name)) {
            NDManager m = model.getNDManager();
            DenseNet net = f.network(m);
            net.setMemoryFormat(format);
            model.setBlock(net);
            NesterovSgd sgd = NesterovSgd.builder()
                    .optLearningRate(0.1f)
                    .optMomentum(0.9f)
                    .optWeightDecays(1e-4f)
                    .build();
            try (Trainer trainer =
                    model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd))) {
                NDArray x = f.npy(m, "input.npy");
                NDArray y = f.npy(m, "labels.npy");
                step.forwardBackward(trainer, TrainingPass.FLOAT32, x, y);
                trainer.step();
            }
            Map<String, TorchTensor> after =
                    TorchFileReader.readStateDict(f.dir().resolve("after_step.pth"));
            for (Map.Entry<String, Parameter> e : f.layout().names(net).entrySet()) {
                TorchTensor expected = after.get(e.getKey());
                assertClose(expected.data(), e.getValue().getArray().toFloatArray(), 1e-4, name + " " + e.getKey());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void exportedPthReimportsToTheSameLogits(String name) throws IOException {
        TorchFixture f = TorchFixture.load(name);
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = f.network(m);
            Path exported = tmp.resolve(name + ".pth");
            TorchFileWriter.write(TorchWeights.stateDict(net, f.layout()), exported);
            DenseNet again = new DenseNet(f.config());
            NDArray input = f.npy(m, "input.npy");
            again.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, input.getShape());
            TorchWeights.ImportReport report =
                    TorchWeights.load(again, TorchFileReader.readStateDict(exported), f.layout(), true);
            assertTrue(report.isClean(), report.describe());
            assertClose(
                    f.npy(m, "logits.npy").toFloatArray(),
                    logits(again, input, m),
                    1e-4 * maxAbs(f.npy(m, "logits.npy").toFloatArray()),
                    name + " re-imported logits");
        }
    }
}
