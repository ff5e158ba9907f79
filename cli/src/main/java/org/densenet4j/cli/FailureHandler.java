package org.densenet4j.cli;

import org.densenet4j.base.Setting;
import org.densenet4j.base.SettingRemedy;
import org.densenet4j.base.TerminalText;
import org.densenet4j.train.RunExistsException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns a failure inside a command into one clear line and exit code 1, instead of a stack trace.
 * A bad value the command itself finds (an input too small for the model) is a usage error: 2.
 * Messages often quote a file's contents or name, so they are escaped for the terminal ({@link TerminalText}):
 * the line stays one line.
 */
public final class FailureHandler implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine cl, ParseResult parsed) {
        if (e instanceof IllegalArgumentException) {
            cl.getErr().println("densenet4j " + cl.getCommandName() + ": " + TerminalText.escape(usage(e) + flag(e)));
            return CommandLine.ExitCode.USAGE;
        }
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        cl.getErr().println("densenet4j " + cl.getCommandName() + ": error: " + TerminalText.escape(message + flag(e)));
        if (Boolean.getBoolean("densenet4j.debug")) {
            e.printStackTrace(cl.getErr());
        }
        return CommandLine.ExitCode.SOFTWARE;
    }

    /** The flag that changes the setting the library names as the remedy, as " (--flag)", or nothing. */
    private static String flag(Exception e) {
        Setting remedy = SettingRemedy.of(e);
        if (remedy == null) {
            return "";
        }
        String flag =
                switch (remedy) {
                    case DATA_FOLDER -> "--data FOLDER";
                    case MODEL -> "--model NAME";
                    case NON_STRICT -> "--non-strict";
                    case PRECISION -> "--precision";
                };
        return " (" + flag + ")";
    }

    /** The message of a usage error, in the command line's terms where the library's speak of what to do. */
    private static String usage(Exception e) {
        if (e instanceof RunExistsException r) {
            return r.runDir() + " already holds a run (" + r.what() + "): resume it (--resume), choose another "
                    + "folder (--run-dir), or replace it on purpose (--overwrite)";
        }
        return e.getMessage();
    }
}
