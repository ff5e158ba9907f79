package org.densenet4j.zoo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.densenet4j.io.Int8CalibrationFile;

/**
 * The Fashion-MNIST model that ships inside the core jar (DenseNet-BC L=40 k=12, model card in the
 * repository's {@code models/fashion-mnist/}), with its int8 calibration beside it ({@link Int8CalibrationFile}). Library users need no installation folder and no system
 * property to reach it: {@link #path()} finds it on the class path.
 */
public final class BundledModel {

    /** The model's name in the repository and, under {@code org/densenet4j/models/}, in the jar. */
    public static final String NAME = "fashion-mnist/densenet-bc-40-12.d4j";

    private static final String RESOURCE = "/org/densenet4j/models/" + NAME;

    private static Path extracted;

    private BundledModel() {}

    /**
     * The bundled checkpoint as a file. From classes on disk (an IDE, the build) it is the resource itself;
     * from a jar it is copied once per JVM to a temporary file (deleted at exit), because checkpoints are
     * read as zip files, which needs random access.
     *
     * @throws UncheckedIOException if the jar lacks the model (a broken build) or the copy fails
     */
    public static synchronized Path path() {
        if (extracted != null) {
            return extracted;
        }
        URL url = BundledModel.class.getResource(RESOURCE);
        if (url == null) {
            throw new UncheckedIOException(new IOException(
                    "the bundled model " + RESOURCE + " is not on the class path: is densenet4j-core's jar complete?"));
        }
        try {
            if ("file".equals(url.getProtocol())) {
                extracted = Path.of(url.toURI());
            } else {
                Path copy = Files.createTempFile("densenet4j-bundled-", ".d4j");
                copy.toFile().deleteOnExit();
                try (InputStream in = url.openStream()) {
                    Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
                }
                // its int8 calibration goes beside it, where every reader of a model looks for one
                URL calibration = BundledModel.class.getResource(RESOURCE + Int8CalibrationFile.SUFFIX);
                if (calibration != null) {
                    Path beside = Int8CalibrationFile.of(copy);
                    beside.toFile().deleteOnExit();
                    try (InputStream in = calibration.openStream()) {
                        Files.copy(in, beside, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                extracted = copy;
            }
            return extracted;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the bundled model out of " + url + ": " + e.getMessage(), e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("the bundled model's location is not a valid URI: " + url, e);
        }
    }
}
