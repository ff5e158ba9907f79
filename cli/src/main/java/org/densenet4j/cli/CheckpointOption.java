package org.densenet4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --checkpoint}: the trained model to use, by default the main job's. */
final class CheckpointOption {

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "A densenet4j checkpoint (default: the one `densenet4j train` writes).")
    Path checkpoint;

    Path resolve() {
        if (checkpoint != null) {
            return checkpoint;
        }
        return TrainCommand.defaultRunDir(TrainCommand.MAIN_DATASET, MachineDefaults.forThisMachine().preset().name())
                .resolve(org.densenet4j.train.DenseNetTrainer.CHECKPOINT);
    }
}
