package org.densenet4j.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.io.NpyFile;
import org.densenet4j.model.TestNetworks;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Archives written by earlier versions of the exporter (format 1, kept in {@code golden/}) still load, read as data,
 * and give the logits libtorch gave when it ran them then.
 */
class GoldenArchiveTest {

    static final Path GOLDEN = Path.of("src/test/resources/org/densenet4j/script/golden");

    @ParameterizedTest(name = "family {0} {1}")
    @CsvSource({"0, fp32", "1, fp32", "2, fp32", "3, fp32", "0, bf16", "1, bf16", "2, bf16", "3, bf16"})
    void formatOneArchivesGiveTheirLogits(int family, String precision) throws Exception {
        Precision p = Precision.parse(precision);
        Assumptions.assumeTrue(p == Precision.FP32 || Precision.BF16.isSupported(), "this CPU has no bfloat16");
        Path archive = GOLDEN.resolve("v1-" + family + "-" + precision + ".pt");
        TorchScriptArchive.Contents contents = TorchScriptArchive.read(archive);
        assertEquals(1, contents.format());
        assertEquals(p, contents.precision());
        try (NDManager m = NDManager.newBaseManager()) {
            InferenceModel model = ModelFiles.openForInference(archive, ModelFiles.Options.none(), m, w -> {});
            if (p == Precision.FP32) {
                assertInstanceOf(TrainedModel.class, model, "a float32 archive runs as densenet4j's own network");
            }
            assertEquals("golden-" + family, model.spec().modelName());
            assertEquals("class 0", model.spec().classNames().get(0));
            NDArray x = NpyFile.read(GOLDEN.resolve("input-" + family + ".npy"), m);
            // bf16 logits depend on the CPU's bf16 kernels: they are held to the float32 logits within bfloat16's
            // precision, as TorchScriptExportTest holds every bf16 archive.
            float[] expected = NpyFile.read(GOLDEN.resolve("logits-" + family + "-fp32.npy"), m)
                    .toFloatArray();
            float[] actual = model.inferenceBlock(m)
                    .forward(new ParameterStore(m, false), new NDList(x), false)
                    .singletonOrThrow()
                    .toFloatArray();
            if (p == Precision.FP32) {
                TestNetworks.assertClose(expected, actual, "family " + family);
            } else {
                float scale = 0;
                float worst = 0;
                for (int i = 0; i < expected.length; i++) {
                    scale = Math.max(scale, Math.abs(expected[i]));
                    worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                }
                assertTrue(worst < 0.05 * scale, "family " + family + " bf16: " + worst + " of " + scale);
            }
        }
    }
}
