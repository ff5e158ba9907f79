package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.BatchClassification;
import org.densenet4j.infer.FeatureExtractor;
import org.densenet4j.io.NpyFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code densenet4j embed}: per image, the pooled features the classifier sees, as .npy (with a file list) or CSV. */
@Command(
        name = "embed",
        mixinStandardHelpOptions = true,
        description = "Write each image's features, the pooled maps the classifier sees (1024 values for densenet121), "
                + "as FILE.npy (images x features, float32, with the image list in FILE.txt) or FILE.csv.")
final class EmbedCommand implements Callable<Integer> {

    private static final int BATCH = 32;

    @Parameters(arity = "1..*", paramLabel = "IMAGE|DIR", description = "Image files or folders of images.")
    List<Path> inputs;

    @Mixin
    CheckpointOption weights;

    @Option(names = "--out", required = true, paramLabel = "FILE.npy|FILE.csv", description = "Where the features go.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean npy = name.endsWith(".npy");
        if (!npy && !name.endsWith(".csv")) {
            throw new IllegalArgumentException("--out must end in .npy or .csv, got " + out
                    + " (for a Parquet table of features, run spark-classify --features --output FILE.parquet)");
        }
        List<Path> files = ImageInputs.expand(inputs);
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
                                    err.println("densenet4j embed: skipping " + problem.getMessage());
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
            if (npy) {
                float[] flat = new float[features.size() * dimension];
                for (int i = 0; i < features.size(); i++) {
                    System.arraycopy(features.get(i), 0, flat, i * dimension, dimension);
                }
                NpyFile.writeFloat32(manager.create(flat, new Shape(features.size(), dimension)), out);
                Path list = out.resolveSibling(out.getFileName().toString().replaceAll("(?i)\\.npy$", ".txt"));
                StringBuilder text = new StringBuilder();
                embedded.forEach(f -> text.append(f).append('\n'));
                AtomicFile.write(list, o -> o.write(text.toString().getBytes(StandardCharsets.UTF_8)));
            } else {
                StringBuilder csv = new StringBuilder("file");
                for (int d = 0; d < dimension; d++) {
                    csv.append(",f").append(d);
                }
                csv.append('\n');
                for (int i = 0; i < embedded.size(); i++) {
                    csv.append('"')
                            .append(embedded.get(i).toString().replace("\"", "\"\""))
                            .append('"');
                    for (float v : features.get(i)) {
                        csv.append(',').append(v);
                    }
                    csv.append('\n');
                }
                AtomicFile.write(out, o -> o.write(csv.toString().getBytes(StandardCharsets.UTF_8)));
            }
        }
        spec.commandLine().getOut().printf("%d image(s) x %d features -> %s%n", embedded.size(), dimension, out);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
