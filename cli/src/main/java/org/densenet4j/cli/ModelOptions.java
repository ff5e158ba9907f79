package org.densenet4j.cli;

import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.Preset;
import picocli.CommandLine.Option;

/** {@code --model} and {@code --classes}, shared by every verb that builds a network. */
final class ModelOptions {

    @Option(
            names = "--model",
            required = true,
            paramLabel = "NAME",
            converter = PresetConverter.class,
            description = "Preset: densenet121|169|201|161|264, densenet-L-k, densenet-bc-L-k "
                    + "(e.g. densenet-bc-100-12), cifar-densenet121|169|201|161, cifar-densenet.")
    Preset preset;

    @Option(
            names = "--classes",
            paramLabel = "N",
            description = "Number of classes (default: the preset's own, 1000 or 10).")
    Integer classes;

    /** The preset's configuration with the requested classes and input channels. */
    DenseNetConfig config(int inputChannels) {
        return preset.builder()
                .optClasses(classes == null ? preset.defaultClasses() : classes)
                .optInputChannels(inputChannels)
                .build();
    }
}
