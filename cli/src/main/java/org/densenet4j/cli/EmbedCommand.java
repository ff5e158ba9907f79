package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.densenet4j.base.TerminalText;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.BatchClassification;
import org.densenet4j.infer.FeatureExtractor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code densenet4j embed}: per image, the pooled features the classifier sees, in a {@link FeatureTable}. */
@Command(
        name = "embed",
        mixinStandardHelpOptions = true,
        description =
                "Write each image's features, the pooled maps the classifier sees (1024 values for densenet121), "
                        + "as FILE.npy (images x features, float32, with the image list in FILE.txt), FILE.csv or FILE.parquet.")
final class EmbedCommand implements Callable<Integer> {

    private static final int BATCH = 32;

    @Parameters(arity = "1..*", paramLabel = "IMAGE|DIR", description = "Image files or folders of images.")
    List<Path> inputs;

    @Mixin
    CheckpointOption weights;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "FILE.npy|FILE.csv|FILE.parquet",
            description = "Where the features go: .npy (with the image list in FILE.txt), .csv, or .parquet (columns "
                    + "file and features). Its folder must exist.")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        FeatureTable table = FeatureTable.forFile(out);
        overwrite.check(table.files(out));
        List<Path> files = ImageInputs.expand(inputs);
        table.checkNames(files);
        List<Path> embedded = new ArrayList<>();
        List<float[]> features = new ArrayList<>();
        PrintWriter err = spec.commandLine().getErr();
        int dimension;
        try (Interruption interruption = new Interruption();
                NDManager manager = NDManager.newBaseManager()) {
            FeatureExtractor extractor = new FeatureExtractor(weights.load(manager, err), manager);
            dimension = extractor.dimension();
            boolean complete = new BatchClassification<Path, float[]>(extractor::features, BATCH)
                    .run(
                            files.iterator(),
                            ImageFiles::read,
                            new BatchClassification.Results<>() {
                                @Override
                                public void classified(Path file, float[] values) {
                                    embedded.add(file);
                                    features.add(values);
                                }

                                @Override
                                public void skipped(Path file, Exception problem) {
                                    err.println(
                                            "densenet4j embed: skipping " + TerminalText.escape(problem.getMessage()));
                                }
                            },
                            interruption::requested);
            if (!complete) {
                err.printf(
                        "densenet4j embed: stopped on request after %d of %d image(s); nothing written%n",
                        embedded.size(), files.size());
                return Interruption.EXIT_INTERRUPTED;
            }
            if (embedded.isEmpty()) {
                err.println("densenet4j embed: no readable image among " + files.size() + " file(s)");
                return 1;
            }
            overwrite.check(table.files(out)); // again: minutes may have passed
            table.write(out, embedded, features, dimension);
        }
        spec.commandLine()
                .getOut()
                .printf("%d image(s) x %d features -> %s%n", embedded.size(), dimension, TerminalText.escape(out));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
