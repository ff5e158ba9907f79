package org.densenet4j.cli;

import java.nio.file.Path;
import org.densenet4j.zoo.DenseNetModelLoader;
import picocli.CommandLine.Option;

/** {@code --checkpoint}: the trained model to use, by default the Fashion-MNIST model shipped in models/. */
final class CheckpointOption {

    /** The bundled model, relative to the installation (the launcher sets densenet4j.home). */
    static final String BUNDLED = DenseNetModelLoader.BUNDLED;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "A densenet4j checkpoint (default: the bundled Fashion-MNIST model, " + BUNDLED + ").")
    Path checkpoint;

    Path resolve() {
        if (checkpoint != null) {
            return checkpoint;
        }
        return Path.of(System.getProperty("densenet4j.home", ".")).resolve(BUNDLED);
    }
}
