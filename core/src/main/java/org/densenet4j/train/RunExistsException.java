package org.densenet4j.train;

import java.nio.file.Path;

/**
 * A new run was asked for in a folder that already holds one. Nothing is overwritten: the caller resumes it,
 * chooses another folder, or removes the old run on purpose.
 */
public final class RunExistsException extends IllegalArgumentException {

    private final Path runDir;
    private final String what;

    /** {@code runDir} holds a run that {@code what} describes (model, epochs done). */
    public RunExistsException(Path runDir, String what) {
        super(runDir + " already holds a run (" + what + "): resume it, choose another folder, or replace it on "
                + "purpose");
        this.runDir = runDir;
        this.what = what;
    }

    /** The folder that holds the run. */
    public Path runDir() {
        return runDir;
    }

    /** The run it holds, in words (model, epochs done). */
    public String what() {
        return what;
    }
}
