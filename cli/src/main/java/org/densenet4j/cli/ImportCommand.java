package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.CheckpointArchive;
import org.densenet4j.io.TorchImport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code densenet4j import}: a PyTorch .pth file to a densenet4j checkpoint. */
@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        description = "Convert PyTorch weights (torchvision or pytorch-cifar layout) into a densenet4j checkpoint.")
final class ImportCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Parameters(index = "0", paramLabel = "FILE.pth", description = "The PyTorch weights.")
    Path file;

    @Mixin
    PthOptions pth;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "FILE",
            description = "The densenet4j checkpoint to write; its folder must exist.")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!TorchImport.isTorchFile(file)) {
            throw new IllegalArgumentException(file + ": expected a PyTorch .pth or .pt file");
        }
        overwrite.check(out);
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel loaded = TorchImport.load(
                    file,
                    model.preset,
                    model.classes,
                    pth.layout(),
                    pth.strict(),
                    manager,
                    w -> CheckpointOption.warn(spec.commandLine().getErr(), w));
            CheckpointArchive.write(out, loaded, "imported from " + file);
            spec.commandLine()
                    .getOut()
                    .printf(
                            "%s (%s layout, %d classes) -> %s%n",
                            TerminalText.escape(file),
                            TorchImport.layout(model.preset, pth.layout()).cliName(),
                            loaded.spec().config().classes(),
                            TerminalText.escape(out));
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
