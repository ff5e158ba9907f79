package org.densenet4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.densenet4j.pretrained.PretrainedEntry;
import org.densenet4j.pretrained.PretrainedWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code densenet4j weights}: the registry of pretrained weights and what the caches hold; {@code weights fetch}
 * downloads weights ahead of time (fetch once, ship the cache to a cluster).
 */
@Command(
        name = "weights",
        mixinStandardHelpOptions = true,
        description = "List the pretrained weights known by name (--model MODEL --weights NAME) and where each is "
                + "cached. The registry is built in; DENSENET4J_PRETRAINED names a JSON file adding or replacing "
                + "entries. Downloads go to DENSENET4J_CACHE (default ~/.cache/densenet4j); files in PyTorch's cache "
                + "(TORCH_HOME/hub/checkpoints) are used as they are.",
        subcommands = WeightsCommand.Fetch.class)
final class WeightsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PretrainedWeights weights = PretrainedWeights.fromEnvironment();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("cache: %s%nPyTorch's cache: %s%n", weights.cacheDir(), weights.hubDir());
        for (PretrainedEntry e : weights.registry().entries()) {
            Path file = weights.located(e);
            out.printf(
                    Locale.ROOT,
                    "%-24s %-28s %s%n    %s%n",
                    e.key(),
                    e.fileName(),
                    file == null ? "not cached" : "cached: " + file + " (" + Units.bytes(Files.size(file)) + ")",
                    e.card());
        }
        out.flush();
        return 0;
    }

    /** {@code densenet4j weights fetch NAME...}: downloads and verifies weights ahead of time. */
    @Command(
            name = "fetch",
            mixinStandardHelpOptions = true,
            description = "Download and verify pretrained weights now: MODEL (its only weights, e.g. densenet121) or "
                    + "MODEL:NAME (e.g. densenet121:imagenet). A cached file is checked, not downloaded again.")
    static final class Fetch implements Callable<Integer> {

        @Parameters(arity = "1..*", paramLabel = "MODEL[:NAME]", description = "The weights to fetch.")
        List<String> names;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PretrainedWeights weights = PretrainedWeights.fromEnvironment();
            List<PretrainedEntry> entries =
                    names.stream().map(n -> weights.registry().find(n)).toList();
            for (PretrainedEntry e : entries) {
                Path file = PretrainedFiles.fetch(weights, e);
                spec.commandLine().getOut().printf("%s: %s%n", e.key(), file);
                spec.commandLine().getOut().flush();
            }
            return 0;
        }
    }
}
