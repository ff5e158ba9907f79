package org.densenet4j.train;

import java.nio.file.Path;

/**
 * A new run was asked for in a folder that already holds one. Nothing is overwritten: the caller resumes it,
 * chooses another folder, or removes the old run on purpose.
 */
public final class RunExistsException extends IllegalArgumentException {

    private final Path runDir;

    public RunExistsException(Path runDir, String what) {
        super(runDir + " already holds a run (" + what + "): resume it (--resume), choose another folder "
                + "(--run-dir), or replace it on purpose (--overwrite)");
        this.runDir = runDir;
    }

    public Path runDir() {
        return runDir;
    }
}
