package org.densenet4j.cli;

import org.densenet4j.model.Preset;
import org.densenet4j.model.Presets;

/**
 * The main job's model and epochs, sized so that {@code densenet4j train} finishes in minutes on the
 * machine it runs on. Measured throughputs are in BENCHMARKS.md.
 *
 * @param preset the DenseNet-BC to train
 * @param epochs how many epochs
 */
record MachineDefaults(Preset preset, int epochs) {

    static MachineDefaults forThisMachine() {
        int cores = Runtime.getRuntime().availableProcessors();
        if (cores <= 4) {
            return new MachineDefaults(Presets.named("densenet-bc-40-12"), 3);
        }
        return new MachineDefaults(Presets.named("densenet-bc-100-12"), 6);
    }
}
