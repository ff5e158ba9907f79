package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.CheckpointArchive;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.torch.TorchImport;
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

    @Parameters(
            index = "0",
            paramLabel = "FILE.pth|NAME",
            description = "The PyTorch weights, or pretrained weights by name (e.g. imagenet).")
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
        PrintWriter err = spec.commandLine().getErr();
        PretrainedFiles.Source source = PretrainedFiles.resolve(file, model.preset, model.classes, pth, err);
        if (!TorchImport.isTorchFile(source.file())) {
            throw new IllegalArgumentException(file + ": expected a PyTorch .pth or .pt file");
        }
        overwrite.check(out);
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel loaded =
                    ModelFiles.open(source.file(), source.options(), manager, w -> CheckpointOption.warn(err, w));
            CheckpointArchive.write(
                    out,
                    loaded,
                    "imported from "
                            + (source.pretrained() != null
                                    ? source.pretrained().key() + " ("
                                            + source.pretrained().fileName() + ")"
                                    : file));
            spec.commandLine()
                    .getOut()
                    .printf(
                            "%s (%s layout, %d classes) -> %s%n",
                            TerminalText.escape(source.file().toString()),
                            TorchImport.layout(model.preset, source.options().layout())
                                    .cliName(),
                            loaded.spec().config().classes(),
                            TerminalText.escape(out));
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
