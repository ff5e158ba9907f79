package org.densenet4j.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.densenet4j.train.CheckpointFile;
import org.junit.jupiter.api.Test;

/** The README's DJL example, run as a test against the bundled model. */
class DjlCriteriaExampleTest {

    static final Path BUNDLED = Path.of("..").resolve(DenseNetModelLoader.BUNDLED);
    static final Path SAMPLE = Path.of("..", "models", "fashion-mnist", "samples", "test-0.png");

    @Test
    void criteriaLoadsTheBundledModelAndPredictsLikeDensenet4j() throws Exception {
        // --- README example ---
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("org.densenet4j")
                .optArgument("checkpoint", BUNDLED.toString())
                .build();
        try (ZooModel<Image, Classifications> model = criteria.loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor()) {
            Classifications result = predictor.predict(ImageFactory.getInstance().fromFile(SAMPLE));
            // --- end of example ---
            try (NDManager manager = NDManager.newBaseManager()) {
                CheckpointFile.Loaded loaded = CheckpointFile.read(BUNDLED, manager);
                Classifications direct = new ImageClassifier(loaded.network(), loaded.checkpoint().spec(), manager)
                        .classify(ImageIO.read(SAMPLE.toFile()));
                assertEquals(direct.best().getClassName(), result.best().getClassName());
                assertEquals(direct.best().getProbability(), result.best().getProbability(), 1e-5);
            }
        }
    }
}
