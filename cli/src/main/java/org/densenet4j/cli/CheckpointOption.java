package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.io.TorchLayout;
import org.densenet4j.model.Preset;
import org.densenet4j.zoo.BundledModel;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The trained model to use: a densenet4j checkpoint (by default the bundled Fashion-MNIST model), or a
 * PyTorch .pth file together with the preset it holds.
 */
final class CheckpointOption {

    /** The bundled model in the installation folder, which the launcher passes as densenet4j.home. */
    static final String BUNDLED = "models/" + BundledModel.NAME;

    @Option(
            names = {"--checkpoint", "--weights"},
            paramLabel = "FILE",
            description = "A densenet4j checkpoint, or a PyTorch .pth (then give --model and --layout) "
                    + "(default: the bundled Fashion-MNIST model, " + BUNDLED + ").")
    Path checkpoint;

    @Option(
            names = "--model",
            paramLabel = "NAME",
            converter = PresetConverter.class,
            description = "The preset the weights hold: required with a .pth file, checked against a checkpoint.")
    Preset preset;

    @Option(
            names = "--layout",
            paramLabel = "LAYOUT",
            converter = LayoutConverter.class,
            description = "With a .pth file: torchvision or pytorch-cifar (default: by preset family).")
    TorchLayout layout;

    @Option(names = "--classes", paramLabel = "N", description = "With a .pth file: classes (default: from the file).")
    Integer classes;

    @Option(names = "--non-strict", description = "With a .pth file: report key problems and load what fits.")
    boolean nonStrict;

    /** Parses a layout name; an unknown one is a usage error. */
    static final class LayoutConverter implements ITypeConverter<TorchLayout> {
        @Override
        public TorchLayout convert(String value) {
            try {
                return TorchLayout.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Reports a non-strict load's problem on standard error. */
    static void warn(PrintWriter err, String message) {
        err.println("densenet4j: " + message);
        err.flush();
    }

    Path resolve() {
        if (checkpoint != null) {
            return checkpoint;
        }
        return bundledModel();
    }

    /**
     * The bundled model: the installation's copy when run by the launcher (so that messages name the file
     * next to its model card and samples), else the copy in the core jar.
     */
    static Path bundledModel() {
        String home = System.getProperty("densenet4j.home");
        return home != null ? Path.of(home).resolve(BUNDLED) : BundledModel.path();
    }

    /** Opens the model ({@link ModelFiles}: a checkpoint, or a .pth with --model and --layout). */
    TrainedModel load(NDManager manager, PrintWriter err) throws IOException {
        return ModelFiles.open(
                resolve(), new ModelFiles.Options(preset, classes, layout, !nonStrict), manager, w -> warn(err, w));
    }
}
