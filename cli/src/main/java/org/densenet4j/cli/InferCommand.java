package org.densenet4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.io.NpyFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code densenet4j infer}: logits for a preprocessed NCHW batch, to compare with another framework. */
@Command(
        name = "infer",
        mixinStandardHelpOptions = true,
        description =
                "Run a model in eval mode on a preprocessed float32 NCHW batch (.npy) and write the logits (.npy).")
final class InferCommand implements Callable<Integer> {

    @Mixin
    CheckpointOption weights;

    @Mixin
    PrecisionOption precision;

    @Mixin
    CalibrationOption calibration;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "float32 NCHW batch.")
    Path input;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "Y.npy",
            description = "Where to write the logits; its folder must exist.")
    Path output;

    @Mixin
    OverwriteOption overwrite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        overwrite.check(output);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = NpyFile.read(input, manager).toType(DataType.FLOAT32, false);
            InferenceModel loaded = calibration.open(
                    weights, precision.precision(), manager, spec.commandLine().getErr());
            ModelSpec model = loaded.spec();
            Shape shape = x.getShape();
            if (shape.dimension() != 4 || shape.get(1) != model.channels()) {
                throw new IllegalArgumentException(input + ": expected an NCHW batch with " + model.channels()
                        + " channel(s), got shape " + shape);
            }
            try {
                model.config().checkInputSize(shape.get(2), shape.get(3));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(input + ": " + e.getMessage(), e);
            }
            NDArray logits = loaded.inferenceBlock(manager)
                    .forward(new ParameterStore(manager, false), new NDList(x), false)
                    .singletonOrThrow();
            NpyFile.writeFloat32(logits, output);
            spec.commandLine()
                    .getOut()
                    .printf(
                            "%s: logits %s written to %s%n",
                            TerminalText.escape(loaded.spec().modelName()),
                            logits.getShape(),
                            TerminalText.escape(output));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
