package org.densenet4j.spark;

import java.io.IOException;
import org.densenet4j.cli.FailureHandler;
import picocli.CommandLine;

/**
 * How the Spark jobs meet the command line: densenet4j's handling of failures (one line, exit 1, or 2 for a bad
 * value or input), and Spark's own exceptions turned into that one line.
 */
final class SparkCommands {

    private SparkCommands() {}

    /** {@code job}'s command line with densenet4j's failure handling. */
    static CommandLine commandLine(Object job) {
        CommandLine cl = new CommandLine(job);
        cl.setExecutionExceptionHandler(new FailureHandler());
        return cl;
    }

    /**
     * {@code e} as the one line a user needs: a failed Spark job by its root cause (its own message quotes every
     * failed task's stack trace), an analysis error (an input that does not exist) by its message; anything else as
     * it is. Scala's exceptions are not declared, so Spark's arrive in a plain {@code catch (Exception e)}.
     */
    static Exception explained(Exception e) {
        if (e instanceof org.apache.spark.SparkException) {
            return new IOException("the Spark job failed: " + ParquetImageTable.oneLine(rootCause(e)), e);
        }
        if (e instanceof org.apache.spark.sql.AnalysisException) {
            return new IOException(ParquetImageTable.oneLine(e), e);
        }
        return e;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }
}
