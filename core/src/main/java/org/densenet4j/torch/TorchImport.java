package org.densenet4j.torch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.densenet4j.base.MemoryBudget;
import org.densenet4j.data.Normalization;
import org.densenet4j.data.ResizeAndCrop;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.Preset;

/**
 * Builds a model from a PyTorch file and a preset: the one place that turns a .pth into a runnable
 * model, for the command line and the DJL model zoo alike.
 */
public final class TorchImport {

    private TorchImport() {}

    public static boolean isTorchFile(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".pth") || n.endsWith(".pt") || n.endsWith(".bin");
    }

    /** The layout the user named, else pytorch-cifar for the blog code's presets and torchvision otherwise. */
    public static TorchLayout layout(Preset preset, TorchLayout given) {
        if (given != null) {
            return given;
        }
        return preset.family() == Preset.Family.BLOG_CIFAR ? TorchLayout.PYTORCH_CIFAR : TorchLayout.TORCHVISION;
    }

    /** The class count: the one given, else the rows of the file's classifier, else the preset's. */
    public static int classes(Preset preset, Integer given, Map<String, TorchTensor> stateDict) {
        if (given != null) {
            return given;
        }
        for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
            if (e.getKey().endsWith("classifier.weight") || e.getKey().endsWith("linear.weight")) {
                return (int) e.getValue().shape()[0];
            }
        }
        return preset.defaultClasses();
    }

    /**
     * Reads {@code file} into a new network of {@code preset}, described with the preset's input size, numbered
     * classes and the normalisation its published weights expect.
     */
    public static TrainedModel load(
            Path file,
            Preset preset,
            Integer classes,
            TorchLayout layout,
            boolean strict,
            NDManager manager,
            Consumer<String> warnings)
            throws IOException {
        // A state dict of this preset holds its values once, perhaps in float64 and next to an optimizer's buffers.
        double expected =
                preset.config(classes == null ? 1000 : classes).storedValues() * Double.BYTES * 3 + (64 << 20);
        Map<String, TorchTensor> stateDict = TorchFileReader.readStateDict(file, expected);
        checkValues(file, stateDict, strict, warnings);
        int k = classes(preset, classes, stateDict);
        int channels = inputChannels(stateDict);
        DenseNetConfig config =
                preset.builder().optClasses(k).optInputChannels(channels).build();
        Normalization rgb = new Normalization(preset.mean(), preset.std());
        ModelSpec spec = new ModelSpec(
                preset.name(),
                config,
                preset.inputSize(),
                preset.inputSize(),
                IntStream.range(0, k).mapToObj(i -> "class_" + i).collect(Collectors.toList()),
                channels == 1 ? grey(rgb) : rgb,
                preprocessing(preset));
        // The class count comes from the file: check what it implies before allocating the network.
        MemoryBudget.require(
                config.storedValues() * Float.BYTES,
                file + " as " + preset.name() + " with " + k + " classes",
                "give the class count, or check that the file holds " + preset.name());
        DenseNet net = new DenseNet(config);
        net.initialize(manager, DataType.FLOAT32, spec.batchShape(1));
        TorchWeights.ImportReport report = TorchWeights.load(net, stateDict, layout(preset, layout), strict);
        if (!report.isClean()) {
            warnings.accept(file + ": " + report.describe());
        }
        return new TrainedModel(spec, net);
    }

    /**
     * How the preset's published weights expect images: torchvision's ImageNet models Resize(256) + CenterCrop(224)
     * (the same 8:7 ratio for other input sizes); the CIFAR models take their 32x32 images whole.
     */
    public static ResizeAndCrop preprocessing(Preset preset) {
        return preset.family() == Preset.Family.IMAGENET
                ? new ResizeAndCrop(preset.inputSize() * 8 / 7, preset.inputSize())
                : null;
    }

    /**
     * Refuses NaN or infinite weights (they would make every prediction NaN), naming the tensor; with
     * {@code strict} off they are loaded with a warning. Integer tensors other than BN's counters are converted
     * to float32 with a warning: weights are float32, float16 or float64.
     */
    static void checkValues(Path file, Map<String, TorchTensor> stateDict, boolean strict, Consumer<String> warnings)
            throws TorchFormatException {
        for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
            TorchTensor t = e.getValue();
            if (t.integer() && !e.getKey().endsWith("num_batches_tracked")) {
                warnings.accept(file + ": tensor " + e.getKey() + " holds integers; converted to float32 (weights "
                        + "are read as float32, float16 or float64)");
            }
            int bad = 0;
            for (float v : t.data()) {
                if (!Float.isFinite(v)) {
                    bad++;
                }
            }
            if (bad > 0) {
                String problem =
                        "tensor " + e.getKey() + " holds " + bad + " NaN or infinite value(s) of " + t.data().length;
                if (strict) {
                    throw new TorchFormatException(
                            file,
                            problem + "; refusing it (non-strict loading loads it anyway, " + "with this warning)");
                }
                warnings.accept(file + ": " + problem + "; loaded anyway (non-strict loading)");
            }
        }
    }

    /** The stem convolution's input channels: 1 for grey models, 3 for colour. */
    public static int inputChannels(Map<String, TorchTensor> stateDict) {
        for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
            if (e.getKey().endsWith("features.conv0.weight")
                    || e.getKey().equals("conv1.weight")
                    || e.getKey().endsWith(".conv1.weight") && !e.getKey().contains("dense")) {
                return (int) e.getValue().shape()[1];
            }
        }
        return 3;
    }

    /** The statistics of a grey image made from RGB by ITU-R 601 luma, as densenet4j converts images. */
    private static Normalization grey(Normalization rgb) {
        float[] m = rgb.mean();
        float[] s = rgb.std();
        return new Normalization(
                new float[] {0.299f * m[0] + 0.587f * m[1] + 0.114f * m[2]},
                new float[] {0.299f * s[0] + 0.587f * s[1] + 0.114f * s[2]});
    }
}
