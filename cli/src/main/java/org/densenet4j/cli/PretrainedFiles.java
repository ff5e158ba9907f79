package org.densenet4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.densenet4j.data.Downloader;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.Preset;
import org.densenet4j.pretrained.PretrainedEntry;
import org.densenet4j.pretrained.PretrainedWeights;

/**
 * The one place a {@code --weights} value becomes a file to open: a registry name such as {@code imagenet} (with
 * {@code --model}) is fetched into the cache with a progress bar on standard error and described by its model card
 * line; anything else is the file it names.
 */
final class PretrainedFiles {

    /**
     * A file to open and what it does not say itself.
     *
     * @param pretrained the registry entry it was fetched for, or null for a file the user named
     */
    record Source(Path file, ModelFiles.Options options, PretrainedEntry pretrained) {}

    private PretrainedFiles() {}

    /**
     * The source a {@code --weights} value names.
     *
     * @param given the value, a file or a pretrained name
     * @param preset {@code --model}, required with a pretrained name
     * @param classes {@code --classes}, which pretrained weights fix
     * @throws IllegalArgumentException if a pretrained name comes without --model, with other classes, or for a
     *     model the registry has no such weights for
     * @throws IOException with one line naming the URL, the file and the manual step if fetching fails
     */
    static Source resolve(Path given, Preset preset, Integer classes, PthOptions pth, PrintWriter err)
            throws IOException {
        String value = given.toString();
        PretrainedWeights weights = PretrainedWeights.looksLikeName(value) ? PretrainedWeights.fromEnvironment() : null;
        if (weights == null || !weights.isName(value)) {
            return new Source(given, new ModelFiles.Options(preset, classes, pth.layout(), pth.strict()), null);
        }
        if (preset == null) {
            throw new IllegalArgumentException("--weights " + value + " needs --model: one of "
                    + String.join(
                            ", ",
                            weights.registry().entries().stream()
                                    .filter(e -> e.name().equals(value))
                                    .map(e -> e.preset().name())
                                    .toList()));
        }
        PretrainedEntry entry = weights.registry().find(preset.name(), value);
        if (classes != null && classes != entry.classes().size()) {
            throw new IllegalArgumentException("--classes " + classes + ": " + entry.key() + " has "
                    + entry.classes().size() + " classes");
        }
        Path file = fetch(weights, entry);
        err.println("densenet4j: " + entry.card());
        err.flush();
        return new Source(file, ModelFiles.Options.of(entry, pth.strict()), entry);
    }

    /** The verified local file of {@code entry}, downloading it with a progress bar if no cache holds it. */
    static Path fetch(PretrainedWeights weights, PretrainedEntry entry) throws IOException {
        try (DownloadBar bar = new DownloadBar(entry.fileName())) {
            return weights.fetch(entry, bar);
        }
    }

    /** A progress bar in megabytes, shown from the first bytes received (a cache hit shows none). */
    private static final class DownloadBar implements Downloader.Progress, AutoCloseable {
        private final String name;
        private ProgressBar bar;

        DownloadBar(String name) {
            this.name = name;
        }

        @Override
        public void transferred(long bytes, long total) {
            if (bar == null) {
                bar = new ProgressBarBuilder()
                        .setTaskName("downloading " + name)
                        .setInitialMax(total)
                        .setUnit(" MB", 1 << 20)
                        .setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(500)
                        .setConsumer(new ConsoleProgressBarConsumer(System.err))
                        .setMaxRenderedLength(120)
                        .build();
            }
            bar.stepTo(bytes);
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }
}
