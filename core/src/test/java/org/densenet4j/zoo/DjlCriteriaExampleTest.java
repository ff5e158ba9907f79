package org.densenet4j.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.junit.jupiter.api.Test;

/** The DJL example of docs/model-zoo.md, run as a test against the bundled model. */
class DjlCriteriaExampleTest {

    static final Path BUNDLED = Path.of("..", "models").resolve(BundledModel.NAME);
    static final Path SAMPLE = Path.of("..", "models", "fashion-mnist", "samples", "test-0.png");

    @Test
    void criteriaLoadsAPthFileWithItsPreset(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path pth = tmp.resolve("bundled.pth");
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel loaded = ModelFiles.open(BUNDLED, manager);
            org.densenet4j.torch.TorchFileWriter.write(
                    org.densenet4j.torch.TorchWeights.stateDict(
                            loaded.network(), org.densenet4j.torch.TorchLayout.TORCHVISION),
                    pth);
        }
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("org.densenet4j")
                .optArgument("weights", pth.toString())
                .optArgument("model", "densenet-bc-40-12")
                .optArgument("layout", "torchvision")
                .build();
        try (ZooModel<Image, Classifications> model = criteria.loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor()) {
            Classifications result =
                    predictor.predict(ImageFactory.getInstance().fromFile(SAMPLE));
            // A .pth holds weights only: classes are numbered and the family's preprocessing is assumed.
            assertEquals(10, result.getClassNames().size());
            assertTrue(result.best().getClassName().startsWith("class_"));
            double total = result.getProbabilities().stream()
                    .mapToDouble(Double::doubleValue)
                    .sum();
            assertEquals(1.0, total, 1e-4);
        }
    }

    @Test
    void criteriaLoadsTheBundledModelAndPredictsLikeDensenet4j() throws Exception {
        // --- docs/model-zoo.md example ---
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("org.densenet4j")
                .optArgument("checkpoint", BUNDLED.toString())
                .build();
        try (ZooModel<Image, Classifications> model = criteria.loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor()) {
            Classifications result =
                    predictor.predict(ImageFactory.getInstance().fromFile(SAMPLE));
            // --- end of example ---
            try (NDManager manager = NDManager.newBaseManager()) {
                TrainedModel loaded = ModelFiles.open(BUNDLED, manager);
                Classifications direct = new ImageClassifier(loaded.network(), loaded.spec(), manager)
                        .classify(ImageIO.read(SAMPLE.toFile()));
                assertEquals(direct.best().getClassName(), result.best().getClassName());
                assertEquals(direct.best().getProbability(), result.best().getProbability(), 1e-5);
            }
        }
    }

    @Test
    void criteriaWithoutArgumentsServesTheBundledModelFromTheJar() throws Exception {
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optArtifactId("densenet")
                .build();
        try (ZooModel<Image, Classifications> model = criteria.loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor()) {
            Classifications result =
                    predictor.predict(ImageFactory.getInstance().fromFile(SAMPLE));
            assertEquals("Ankle boot", result.best().getClassName());
        }
        assertEquals(BundledModel.path().getFileName().toString(), "densenet-bc-40-12.d4j");
    }

    @Test
    void aMissingCheckpointIsNamedAtTheTopOfTheException(@org.junit.jupiter.api.io.TempDir Path tmp) {
        Path missing = tmp.resolve("nowhere.d4j");
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("org.densenet4j")
                .optArgument("checkpoint", missing.toString())
                .build();
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, criteria::loadModel);
        assertTrue(e.getMessage().startsWith(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void aBrokenCheckpointIsNamedWithTheReason(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path broken = tmp.resolve("broken.d4j");
        java.nio.file.Files.writeString(broken, "not a zip");
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("org.densenet4j")
                .optArgument("checkpoint", broken.toString())
                .build();
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(
                ai.djl.MalformedModelException.class, criteria::loadModel);
        assertTrue(e.getMessage().startsWith(broken.toString()), e.getMessage());
    }

    @Test
    void aPredictorWithExplanationOutputAnswersTheClassActivationMap() throws Exception {
        Criteria<Image, org.densenet4j.infer.Explanation> criteria = Criteria.builder()
                .setTypes(Image.class, org.densenet4j.infer.Explanation.class)
                .optGroupId("org.densenet4j")
                .optArgument("class", "Sneaker")
                .build();
        try (ZooModel<Image, org.densenet4j.infer.Explanation> model = criteria.loadModel();
                Predictor<Image, org.densenet4j.infer.Explanation> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager()) {
            org.densenet4j.infer.Explanation e =
                    predictor.predict(ImageFactory.getInstance().fromFile(SAMPLE));
            TrainedModel loaded = ModelFiles.open(BUNDLED, manager);
            org.densenet4j.infer.Explanation direct = new org.densenet4j.infer.Explainer(
                            loaded.network(), loaded.spec(), manager)
                    .explain(ImageIO.read(SAMPLE.toFile()), "Sneaker", org.densenet4j.infer.Explainer.Method.CAM, 3);
            assertEquals("Sneaker", e.label());
            assertEquals(direct.probability(), e.probability(), 1e-5);
            assertEquals(direct.height(), e.height());
            for (int i = 0; i < direct.map().length; i++) {
                assertEquals(direct.map()[i], e.map()[i], 1e-4);
            }
        }
    }

    @Test
    void aPredictorWithFloatArrayOutputAnswersTheFeatures() throws Exception {
        Criteria<Image, float[]> criteria = Criteria.builder()
                .setTypes(Image.class, float[].class)
                .optGroupId("org.densenet4j")
                .build();
        try (ZooModel<Image, float[]> model = criteria.loadModel();
                Predictor<Image, float[]> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager()) {
            float[] features = predictor.predict(ImageFactory.getInstance().fromFile(SAMPLE));
            float[] direct = new org.densenet4j.infer.FeatureExtractor(
                            org.densenet4j.io.ModelFiles.open(BUNDLED, manager), manager)
                    .features(ImageIO.read(SAMPLE.toFile()));
            org.junit.jupiter.api.Assertions.assertArrayEquals(direct, features, 1e-5f);
        }
    }
}
