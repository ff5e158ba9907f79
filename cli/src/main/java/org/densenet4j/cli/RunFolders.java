package org.densenet4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.densenet4j.train.RunFolder;

/**
 * Where a run goes when the user names no folder: the default folder, or, when an earlier run holds it, the
 * next free numbered sibling ({@code runs/fashion-mnist-densenet-bc-40-12-2}), so that running the main job
 * twice keeps both runs.
 */
final class RunFolders {

    private RunFolders() {}

    /**
     * The folder for a run: for a new run the first of {@code base}, {@code base-2}, {@code base-3}, ... that
     * holds no run; for {@code --resume}, the newest that does.
     */
    static Path forNewOrResumedRun(Path base, boolean resume, PrintWriter out) {
        Path newest = null;
        for (int n = 1; ; n++) {
            Path candidate = n == 1 ? base : base.resolveSibling(base.getFileName() + "-" + n);
            if (!new RunFolder(candidate).holdsRun()) {
                if (resume) {
                    return newest != null ? newest : base;
                }
                if (newest != null) {
                    out.printf(
                            "%s holds an earlier run; this run goes to %s (--resume continues the earlier "
                                    + "one, --run-dir chooses a folder)%n",
                            newest, candidate);
                    out.flush();
                }
                return candidate;
            }
            newest = candidate;
        }
    }

    /** Removes what a run writes into its folder, for --overwrite; other files stay. */
    static void clear(Path dir, PrintWriter out) throws IOException {
        if (new RunFolder(dir).clear()) {
            out.printf("--overwrite: removed the earlier run's checkpoint and metrics from %s%n", dir);
            out.flush();
        }
    }
}
