package org.densenet4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.densenet4j.base.AtomicFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The folder a run lives in (its checkpoint, metrics and curves), with the rule that a run in it is never
 * overwritten unasked: a new run refuses a folder that holds one, and resuming reads the run it holds.
 */
public final class RunFolder {

    /** The checkpoint file inside a run folder. */
    public static final String CHECKPOINT = "checkpoint.d4j";

    /** The confusion matrix of the run's final evaluation, drawn by the tools that evaluate it. */
    public static final String CONFUSION = "confusion.png";

    private static final Logger LOG = LoggerFactory.getLogger(RunFolder.class);

    private final Path dir;

    /** The run folder {@code dir} (created when a run opens it). */
    public RunFolder(Path dir) {
        this.dir = dir;
    }

    /** The folder itself. */
    public Path dir() {
        return dir;
    }

    /** Where the run's checkpoint is (or will be) written. */
    public Path checkpoint() {
        return dir.resolve(CHECKPOINT);
    }

    /** Whether the folder holds a run's checkpoint. */
    public boolean holdsRun() {
        return Files.exists(checkpoint());
    }

    /**
     * Opens the folder for a run: creates it, removes temporary files an interrupted write left, and returns the
     * description of the run it holds when resuming one.
     *
     * @param resume continue the run the folder holds, if any (a folder without one starts a new run)
     * @return the held run's description, or null for a new run
     * @throws RunExistsException if {@code resume} is false and the folder already holds a run
     * @throws IllegalArgumentException if the path is a file
     * @throws IOException if the folder cannot be created or the held checkpoint cannot be read
     */
    public Checkpoint open(boolean resume) throws IOException {
        checkAvailable(resume);
        Files.createDirectories(dir);
        int leftovers = AtomicFile.removeLeftovers(dir);
        if (leftovers > 0) {
            LOG.info("removed {} temporary file(s) an interrupted write left in {}", leftovers, dir);
        }
        if (!holdsRun()) {
            if (resume) {
                LOG.warn("resuming: no checkpoint at {}, starting a new run", checkpoint());
            }
            return null;
        }
        return CheckpointFile.readDescription(checkpoint());
    }

    /**
     * Refuses, before any work starts, what {@link #open} would: a file where the folder should be and, unless
     * resuming, a folder that holds a run.
     *
     * @throws RunExistsException if {@code resume} is false and the folder holds a run
     * @throws IllegalArgumentException if the path is a file
     */
    public void checkAvailable(boolean resume) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is a file, not a run folder: choose a folder for the run");
        }
        if (!resume && holdsRun()) {
            throw new RunExistsException(dir, describe(checkpoint()));
        }
    }

    /**
     * Removes what a run writes into the folder (checkpoint, metrics, curves, confusion matrix) so that a new run
     * can start in it; other files stay. Only for a caller the user asked to replace the run.
     *
     * @return whether the folder held a run
     */
    public boolean clear() throws IOException {
        if (!holdsRun()) {
            return false;
        }
        for (String name : List.of(CHECKPOINT, MetricsReport.CSV, MetricsReport.JSON, MetricsReport.PLOT, CONFUSION)) {
            Files.deleteIfExists(dir.resolve(name));
        }
        return true;
    }

    /** A few words on the run a checkpoint holds, for messages; a damaged one is still named. */
    private static String describe(Path checkpoint) {
        try {
            Checkpoint c = CheckpointFile.readDescription(checkpoint);
            return c.spec().modelName() + ", " + c.epochsCompleted() + " of "
                    + c.recipe().epochs() + " epochs done";
        } catch (IOException | RuntimeException e) {
            return checkpoint.getFileName() + ", unreadable: " + e.getMessage();
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
