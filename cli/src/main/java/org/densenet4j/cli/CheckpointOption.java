package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.zoo.BundledModel;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The trained model to use: a densenet4j checkpoint (by default the bundled Fashion-MNIST model), a
 * PyTorch .pth file together with the preset it holds, or pretrained weights by name ({@code --model densenet121
 * --weights imagenet}, fetched into the cache by {@link PretrainedFiles}).
 */
public final class CheckpointOption {

    /** The bundled model in the installation folder, which the launcher passes as densenet4j.home. */
    static final String BUNDLED = "models/" + BundledModel.NAME;

    @Option(
            names = {"--checkpoint", "--weights"},
            paramLabel = "FILE|NAME",
            description = "A densenet4j checkpoint, a PyTorch .pth (then give --model and --layout), or "
                    + "pretrained weights by name with --model, e.g. imagenet (see densenet4j weights) "
                    + "(default: the bundled Fashion-MNIST model, " + BUNDLED + ").")
    Path checkpoint;

    @Mixin
    PresetOption model = new PresetOption();

    @Option(names = "--classes", paramLabel = "N", description = "With a .pth file: classes (default: from the file).")
    Integer classes;

    @Mixin
    PthOptions pth = new PthOptions();

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** What --weights resolved to, once: a pretrained name is fetched on first use. */
    private PretrainedFiles.Source source;

    /** The file given with --checkpoint or --weights, or null for the bundled model. */
    public Path given() {
        return checkpoint;
    }

    /**
     * True for the bundled model, by default or named by a path to the installation's copy: the files it ships with
     * are never replaced.
     */
    boolean isBundled() throws IOException {
        if (checkpoint == null) {
            return true;
        }
        try {
            return Files.isSameFile(resolve(), bundledModel());
        } catch (IOException e) { // either file missing: not the same
            return false;
        }
    }

    /** What the file alone does not say: the preset, classes, layout and strictness given, or a registry entry's. */
    public ModelFiles.Options options() throws IOException {
        return source().options();
    }

    private PretrainedFiles.Source source() throws IOException {
        if (source == null) {
            source = checkpoint == null
                    ? new PretrainedFiles.Source(
                            bundledModel(),
                            new ModelFiles.Options(model.preset(), classes, pth.layout(), pth.strict()),
                            null)
                    : PretrainedFiles.resolve(
                            checkpoint,
                            model.preset(),
                            classes,
                            pth,
                            // a command built by hand (the Spark job's tests) has no picocli spec
                            command == null
                                    ? new PrintWriter(System.err, true)
                                    : command.commandLine().getErr());
        }
        return source;
    }

    /** Reports a non-strict load's problem on standard error (it may quote the file: escaped). */
    static void warn(PrintWriter err, String message) {
        err.println("densenet4j: " + TerminalText.escape(message));
        err.flush();
    }

    /** The file to open: the one given (pretrained weights fetched), else the bundled model. */
    public Path resolve() throws IOException {
        return source().file();
    }

    /**
     * The bundled model: the installation's copy when run by the launcher (so that messages name the file
     * next to its model card and samples), else the copy in the core jar.
     */
    static Path bundledModel() {
        String home = System.getProperty("densenet4j.home");
        return home != null ? Path.of(home).resolve(BUNDLED) : BundledModel.path();
    }

    /** Opens the model to classify with: a checkpoint, a .pth with --model and --layout, or a TorchScript archive. */
    InferenceModel loadForInference(NDManager manager, PrintWriter err) throws IOException {
        return loadForInference(Precision.FP32, manager, err);
    }

    /** As {@link #loadForInference(NDManager, PrintWriter)}, computing in {@code precision}. */
    InferenceModel loadForInference(Precision precision, NDManager manager, PrintWriter err) throws IOException {
        return ModelFiles.openForInference(resolve(), options(), precision, manager, w -> warn(err, w));
    }

    /** Opens the model ({@link ModelFiles}: a checkpoint, or a .pth with --model and --layout). */
    TrainedModel load(NDManager manager, PrintWriter err) throws IOException {
        return ModelFiles.open(resolve(), options(), manager, w -> warn(err, w));
    }
}
