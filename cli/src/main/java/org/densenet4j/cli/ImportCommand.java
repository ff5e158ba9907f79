package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.Preset;
import org.densenet4j.train.Checkpoint;
import org.densenet4j.train.CheckpointFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code densenet4j import}: a PyTorch .pth file to a densenet4j checkpoint. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Convert PyTorch weights (torchvision or pytorch-cifar layout) into a densenet4j checkpoint.")
final class ImportCommand implements Callable<Integer> {

    /** torchvision's ImageNet preprocessing. */
    private static final Normalization IMAGENET = new Normalization(new float[] {0.485f, 0.456f, 0.406f},
            new float[] {0.229f, 0.224f, 0.225f});
    /** pytorch-cifar's CIFAR-10 preprocessing. */
    private static final Normalization CIFAR = new Normalization(new float[] {0.4914f, 0.4822f, 0.4465f},
            new float[] {0.2023f, 0.1994f, 0.2010f});

    @Mixin ModelOptions model;

    @Parameters(index = "0", paramLabel = "FILE.pth", description = "The PyTorch weights.")
    Path file;

    @Option(names = "--layout", paramLabel = "LAYOUT", converter = WeightsOptions.LayoutConverter.class,
            description = "torchvision or pytorch-cifar (default: by preset family).")
    org.densenet4j.io.TorchLayout layout;

    @Option(names = "--non-strict", description = "Report missing, unexpected and mis-shaped keys and load the rest.")
    boolean nonStrict;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The densenet4j checkpoint to write.")
    Path out;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        WeightsOptions weights = new WeightsOptions();
        weights.weights = file;
        weights.layout = layout;
        weights.nonStrict = nonStrict;
        if (!weights.isTorchFile()) {
            throw new IllegalArgumentException(file + ": expected a PyTorch .pth or .pt file");
        }
        Preset preset = model.preset;
        int classes = weights.classes(model);
        DenseNetConfig config = preset.builder().optClasses(classes).build();
        ModelSpec spec = new ModelSpec(preset.name(), config, preset.inputSize(), preset.inputSize(),
                IntStream.range(0, classes).mapToObj(i -> "class_" + i).collect(Collectors.toList()),
                preset.family() == Preset.Family.IMAGENET ? IMAGENET : CIFAR);
        try (NDManager manager = NDManager.newBaseManager()) {
            DenseNet net = weights.load(config, model, spec.batchShape(1), manager, this.spec.commandLine().getErr());
            CheckpointFile.write(out, new Checkpoint(spec, 0, "imported from " + file, null, List.of()), net, null);
        }
        this.spec.commandLine().getOut().printf("%s (%s layout, %d classes) -> %s%n", file,
                weights.layoutFor(model).cliName(), classes, out);
        this.spec.commandLine().getOut().flush();
        return 0;
    }
}
