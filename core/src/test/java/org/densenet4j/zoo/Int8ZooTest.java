package org.densenet4j.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.densenet4j.infer.Explanation;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.Precision;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.script.Int8Model;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zoo's {@code precision int8}: the model's stored calibration, the answers of the int8 module densenet4j
 * predicts with, CAM on the int8 network; no calibration, or features, are refused naming the file.
 */
class Int8ZooTest {

    private static final Path BUNDLED = DjlCriteriaExampleTest.BUNDLED;

    @BeforeAll
    static void needsInt8() {
        Assumptions.assumeTrue(Precision.INT8.isSupported(), "this CPU has neither avx512_vnni nor amx_int8");
    }

    private static <O> Criteria<Image, O> criteria(Class<O> output, Path checkpoint) {
        return Criteria.builder()
                .setTypes(Image.class, output)
                .optGroupId("org.densenet4j")
                .optArgument("checkpoint", checkpoint.toString())
                .optArgument("precision", "int8")
                .build();
    }

    @Test
    void classifiesAndExplainsAsTheInt8ModuleDoes() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                ZooModel<Image, Classifications> model =
                        criteria(Classifications.class, BUNDLED).loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor();
                ZooModel<Image, Explanation> explaining =
                        criteria(Explanation.class, BUNDLED).loadModel();
                Predictor<Image, Explanation> explainer = explaining.newPredictor()) {
            Int8Model int8 = ModelFiles.openInt8(BUNDLED, ModelFiles.Options.none(), null, manager, w -> {});
            ImageClassifier direct = new ImageClassifier(int8, manager);
            for (int i = 0; i < 4; i++) {
                Path sample = BUNDLED.resolveSibling("samples").resolve("test-" + i + ".png");
                Classifications.Classification expected =
                        direct.classify(ImageIO.read(sample.toFile())).best();
                Classifications.Classification zoo = predictor
                        .predict(ImageFactory.getInstance().fromFile(sample))
                        .best();
                assertEquals(expected.getClassName(), zoo.getClassName(), sample.toString());
                assertEquals(expected.getProbability(), zoo.getProbability(), 1e-5);
                Explanation e = explainer.predict(ImageFactory.getInstance().fromFile(sample));
                assertEquals(expected.getClassName(), e.label(), sample.toString());
                assertEquals(expected.getProbability(), e.probability(), 1e-5);
            }
        }
    }

    @Test
    void aModelWithoutCalibrationAndFeaturesAreRefused(@TempDir Path tmp) throws Exception {
        Path copy = tmp.resolve("copy.d4j");
        Files.copy(BUNDLED, copy);
        MalformedModelException none =
                assertThrows(MalformedModelException.class, criteria(Classifications.class, copy)::loadModel);
        assertTrue(none.getMessage().contains(copy + " has no int8 calibration"), none.getMessage());
        MalformedModelException features =
                assertThrows(MalformedModelException.class, criteria(float[].class, BUNDLED)::loadModel);
        assertTrue(features.getMessage().contains("features come from the float32 network"), features.getMessage());
    }
}
