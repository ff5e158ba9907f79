package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import org.densenet4j.io.TorchTensor;
import org.densenet4j.io.TorchFileReader;
import org.densenet4j.io.TorchLayout;
import org.densenet4j.io.TorchWeights;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.train.CheckpointFile;
import org.densenet4j.io.TorchImport;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --weights FILE [--layout L] [--non-strict]}: weights from a densenet4j checkpoint, or from a
 * PyTorch {@code .pth} file in the torchvision or pytorch-cifar layout.
 */
final class WeightsOptions {

    @Option(names = "--weights", paramLabel = "FILE", required = true,
            description = "A densenet4j checkpoint, or a PyTorch .pth/.pt file (then --layout says how it names keys).")
    Path weights;

    @Option(names = "--layout", paramLabel = "LAYOUT", converter = LayoutConverter.class,
            description = "torchvision or pytorch-cifar (default: pytorch-cifar for cifar-densenet* presets, "
                    + "torchvision otherwise).")
    TorchLayout layout;

    @Option(names = "--non-strict", description = "Report missing, unexpected and mis-shaped keys and load the rest.")
    boolean nonStrict;

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

    /** The layout to use for a model built from {@code config}. */
    TorchLayout layoutFor(ModelOptions model) {
        return TorchImport.layout(model.preset, layout);
    }

    private Map<String, TorchTensor> torchStateDict;

    /** The .pth file's state dict, read once. */
    Map<String, TorchTensor> torchStateDict() throws IOException {
        if (torchStateDict == null) {
            torchStateDict = TorchFileReader.readStateDict(weights);
        }
        return torchStateDict;
    }

    /**
     * The class count: {@code --classes} if given, else the rows of the .pth file's classifier, else the
     * preset's default.
     */
    int classes(ModelOptions model) throws IOException {
        return isTorchFile() ? TorchImport.classes(model.preset, model.classes, torchStateDict())
                : model.classes != null ? model.classes : model.preset.defaultClasses();
    }

    boolean isTorchFile() {
        return TorchImport.isTorchFile(weights);
    }

    /** Builds the model, initialises it for {@code input} and loads the weights into it. */
    DenseNet load(DenseNetConfig config, ModelOptions model, Shape input, NDManager manager, PrintWriter err)
            throws IOException {
        DenseNet net = new DenseNet(config);
        net.initialize(manager, DataType.FLOAT32, input);
        if (isTorchFile()) {
            TorchWeights.ImportReport report = TorchWeights.load(net, torchStateDict(), layoutFor(model), !nonStrict);
            if (!report.isClean()) {
                err.println("densenet4j: " + weights + ": " + report.describe());
                err.flush();
            }
        } else {
            CheckpointFile.loadInto(weights, net, manager);
        }
        return net;
    }
}
