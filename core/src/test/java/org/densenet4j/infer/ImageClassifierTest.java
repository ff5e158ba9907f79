package org.densenet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.densenet4j.data.UnreadableImageException;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.zoo.BundledModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API edge of classification: what a caller passes by mistake gets a message, not a bare exception. */
class ImageClassifierTest {

    static final Path SAMPLE = Path.of("..", "models", "fashion-mnist", "samples", "test-0.png");

    @Test
    void nullImagesAreRefusedWithTheReason(@TempDir Path tmp) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel loaded = ModelFiles.open(BundledModel.path(), manager);
            ImageClassifier classifier = new ImageClassifier(loaded.network(), loaded.spec(), manager);

            IllegalArgumentException single =
                    assertThrows(IllegalArgumentException.class, () -> classifier.classify((BufferedImage) null));
            assertTrue(single.getMessage().contains("ImageIO.read returns null"), single.getMessage());
            IllegalArgumentException inBatch = assertThrows(
                    IllegalArgumentException.class,
                    () -> classifier.classify(
                            Arrays.asList(new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY), null)));
            assertTrue(inBatch.getMessage().startsWith("image 1 of 2 is null"), inBatch.getMessage());

            Path text = Files.writeString(tmp.resolve("notes.png"), "not an image");
            UnreadableImageException unreadable =
                    assertThrows(UnreadableImageException.class, () -> classifier.classify(text));
            assertTrue(unreadable.getMessage().startsWith(text.toString()), unreadable.getMessage());

            assertEquals("Ankle boot", classifier.classify(SAMPLE).best().getClassName());
        }
    }
}
