package org.densenet4j.pretrained;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** ImageNet-1k's 1,000 class names in torchvision's order (its weights' {@code meta["categories"]}). */
public final class ImageNetClasses {

    private static List<String> names;

    private ImageNetClasses() {}

    /** The names, index i being class i. */
    public static synchronized List<String> names() {
        if (names == null) {
            try (InputStream in = ImageNetClasses.class.getResourceAsStream(PretrainedRegistry.IMAGENET_CLASSES)) {
                if (in == null) {
                    throw new IllegalStateException(PretrainedRegistry.IMAGENET_CLASSES
                            + " is not on the class path: is densenet4j-core's jar complete?");
                }
                List<String> read = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                        .lines()
                        .toList();
                if (read.size() != 1000) {
                    throw new IllegalStateException(
                            PretrainedRegistry.IMAGENET_CLASSES + " holds " + read.size() + " names, not 1000");
                }
                names = read;
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot read " + PretrainedRegistry.IMAGENET_CLASSES + ": " + e.getMessage(), e);
            }
        }
        return names;
    }
}
