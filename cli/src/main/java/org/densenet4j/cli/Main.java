package org.densenet4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code densenet4j} command line. Exit codes: 0 success, 1 failure, 2 usage error. */
@Command(
        name = "densenet4j",
        mixinStandardHelpOptions = true,
        version = "densenet4j 0.1.0",
        description = "DenseNet (Huang et al., CVPR 2017) on the JVM.",
        subcommands = {
            TrainCommand.class,
            EvalCommand.class,
            PredictCommand.class,
            SummaryCommand.class,
            ImportCommand.class,
            ExportCommand.class,
            InferCommand.class,
            BenchCommand.class,
            ServeCommand.class,
            ExplainCommand.class,
            EmbedCommand.class,
            WeightsCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by {@link #main} and the tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new FailureHandler());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }
}
