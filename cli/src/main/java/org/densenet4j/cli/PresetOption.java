package org.densenet4j.cli;

import org.densenet4j.model.Preset;
import picocli.CommandLine.Option;

/**
 * {@code --model NAME} where naming the preset is optional: the network {@code train} builds, or the one the weights a
 * verb is given hold ({@link CheckpointOption}). Verbs that always build a network from a preset take {@link
 * ModelOptions}, where it is required.
 */
public final class PresetOption {

    @Option(
            names = "--model",
            paramLabel = "NAME",
            converter = PresetConverter.class,
            description = "The preset: the one the weights hold (required with a .pth file, checked against a "
                    + "checkpoint), or, for train without --weights, the network to train (default: a DenseNet-BC "
                    + "suited to this machine, see MachineDefaults).")
    Preset preset;

    /** The preset named, or null. */
    public Preset preset() {
        return preset;
    }
}
