package org.densenet4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where {@code train} keeps its run, and whether it continues or replaces a run that is there. */
final class RunFolderOptions {

    @Option(
            names = "--run-dir",
            paramLabel = "DIR",
            description = "Where checkpoints and metrics go (default: runs/DATASET-MODEL, or the next free "
                    + "runs/DATASET-MODEL-N when an earlier run holds it).")
    Path runDir;

    @Option(
            names = "--resume",
            description = "Continue from the run folder's checkpoint (without --run-dir: the "
                    + "newest run of this dataset and model).")
    boolean resume;

    @Option(
            names = "--overwrite",
            description = "Start afresh in a --run-dir that holds a run, replacing its "
                    + "checkpoint and metrics. Without it, a run folder that holds a run is never overwritten.")
    boolean overwrite;

    /**
     * The run folder for {@code model} trained on {@code dataset}, emptied first with --overwrite.
     *
     * @throws IllegalArgumentException for --resume with --overwrite
     */
    Path folder(String dataset, String model, PrintWriter out) throws IOException {
        if (resume && overwrite) {
            throw new IllegalArgumentException("--resume continues a run and --overwrite replaces it: give one");
        }
        Path dir = runDir != null
                ? runDir
                : RunFolders.forNewOrResumedRun(TrainCommand.defaultRunDir(dataset, model), resume, out);
        if (overwrite) {
            RunFolders.clear(dir, out);
        }
        return dir;
    }
}
