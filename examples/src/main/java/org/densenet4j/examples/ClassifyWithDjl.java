package org.densenet4j.examples;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Path;

/**
 * Classifies an image through DJL's model zoo API with the model that ships in densenet4j-core.
 *
 * <p>Usage: {@code ClassifyWithDjl IMAGE [CHECKPOINT]}; without a checkpoint, the bundled Fashion-MNIST model.
 */
public final class ClassifyWithDjl {

    private ClassifyWithDjl() {}

    public static void main(String[] args) throws Exception {
        Path image = Path.of(args[0]);
        String checkpoint = args.length > 1 ? args[1] : null;

        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("org.densenet4j")
                .optArgument("checkpoint", checkpoint) // a .d4j file; null or left out: the bundled model
                .build();
        try (ZooModel<Image, Classifications> model = criteria.loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor()) {
            Classifications result = predictor.predict(ImageFactory.getInstance().fromFile(image));
            System.out.println(image.getFileName() + ": " + result.topK(3));
        }
    }
}
