package org.densenet4j.cli;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.densenet4j.base.TerminalText;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.BatchClassification;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Prediction;
import org.densenet4j.model.MemoryPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code densenet4j predict}: top-k labels with probabilities for images of any size and colour mode. */
@Command(
        name = "predict",
        mixinStandardHelpOptions = true,
        description = "Classify images (JPEG or PNG, any size, grey or colour) or every image in a folder.")
final class PredictCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(PredictCommand.class);
    private static final int BATCH = 32;

    @Parameters(arity = "1..*", paramLabel = "IMAGE|DIR", description = "Image files or folders of images.")
    List<Path> inputs;

    @Mixin
    CheckpointOption checkpoint;

    @Mixin
    PrecisionOption precision;

    @Mixin
    CalibrationOption calibration;

    @Option(names = "--topk", defaultValue = "3", description = "Labels to show per image (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--json", description = "Print JSON: one entry per image with its top-k labels.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (topK < 1) {
            throw new IllegalArgumentException("--topk must be at least 1, got " + topK);
        }
        List<Path> files = ImageInputs.expand(inputs);
        Path file = checkpoint.resolve();
        List<Map<String, Object>> results = new ArrayList<>();
        List<Map<String, Object>> skipped = new ArrayList<>();
        AtomicBoolean photo = new AtomicBoolean();
        try (Interruption interruption = new Interruption();
                NDManager manager = NDManager.newBaseManager()) {
            InferenceModel loaded = calibration.open(
                    checkpoint,
                    precision.precision(),
                    manager,
                    spec.commandLine().getErr());
            ModelSpec model = loaded.spec();
            MemoryCheck.require(
                    "predict with " + model.modelName(),
                    model.config(),
                    model.batchShape(1).slice(1),
                    Math.min(BATCH, files.size()),
                    MemoryPlan.Use.INFERENCE,
                    "batch");
            ImageClassifier classifier = new ImageClassifier(loaded, manager);
            boolean bundled = checkpoint.given() == null;
            boolean complete = new BatchClassification<Path, Classifications>(classifier::classify, BATCH)
                    .run(
                            files.iterator(),
                            f -> {
                                BufferedImage image = ImageFiles.read(f);
                                if (bundled && !photo.get() && isLargerColourImage(image, model)) {
                                    photo.set(true);
                                }
                                return image;
                            },
                            new BatchClassification.Results<>() {
                                @Override
                                public void classified(Path f, Classifications c) {
                                    Map<String, Object> m = new LinkedHashMap<>();
                                    m.put("file", f.toString());
                                    m.put("top", Prediction.topK(c, topK));
                                    results.add(m);
                                }

                                @Override
                                public void skipped(Path f, Exception problem) {
                                    LOG.warn("skipping {}", TerminalText.escape(problem.getMessage()));
                                    skipped.add(Map.of("file", f.toString(), "error", problem.getMessage()));
                                }
                            },
                            interruption::requested);
            if (!complete) {
                spec.commandLine()
                        .getErr()
                        .printf(
                                "densenet4j predict: stopped on request after %d of %d "
                                        + "file(s); nothing more is printed%n",
                                results.size() + skipped.size(), files.size());
                spec.commandLine().getErr().flush();
                return Interruption.EXIT_INTERRUPTED;
            }
        }
        print(file, results, skipped);
        if (photo.get()) {
            spec.commandLine()
                    .getErr()
                    .println("densenet4j predict: the bundled model knows Fashion-MNIST's 10 kinds of clothing in "
                            + "28x28 grey images; for photos, try --model densenet121 --weights imagenet");
            spec.commandLine().getErr().flush();
        }
        if (results.isEmpty()) {
            spec.commandLine()
                    .getErr()
                    .println("densenet4j predict: no readable image among " + files.size() + " file(s)");
            return 1;
        }
        return 0;
    }

    /**
     * Whether {@code image} is a colour picture larger than the model's input, which the bundled 28x28 grey model
     * was not made for. Grey pictures stored as RGB are told apart by sampling up to 4,096 pixels.
     */
    static boolean isLargerColourImage(BufferedImage image, ModelSpec model) {
        if (image.getColorModel().getNumColorComponents() < 3
                || image.getHeight() <= model.height() && image.getWidth() <= model.width()) {
            return false;
        }
        long pixels = (long) image.getHeight() * image.getWidth();
        long step = Math.max(1, pixels / 4096);
        for (long i = 0; i < pixels; i += step) {
            int rgb = image.getRGB((int) (i % image.getWidth()), (int) (i / image.getWidth()));
            int r = (rgb >> 16) & 0xff;
            int g = (rgb >> 8) & 0xff;
            int b = rgb & 0xff;
            if (r != g || g != b) {
                return true;
            }
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private void print(Path checkpointFile, List<Map<String, Object>> results, List<Map<String, Object>> skipped) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checkpoint", checkpointFile.toString());
            m.put("predictions", results);
            m.put("skipped", skipped);
            out.println(TerminalText.json(
                    new GsonBuilder().setPrettyPrinting().create().toJson(m)));
        } else {
            for (Map<String, Object> r : results) {
                String labels = ((List<Prediction>) r.get("top"))
                        .stream()
                                .map(t -> String.format(
                                        Locale.ROOT,
                                        "%s %.1f%%",
                                        TerminalText.escape(t.label()),
                                        100 * t.probability()))
                                .collect(Collectors.joining(", "));
                out.printf("%s: %s%n", TerminalText.escape(r.get("file")), labels);
            }
            if (!skipped.isEmpty()) {
                out.printf("%d unreadable file(s) skipped%n", skipped.size());
            }
        }
        out.flush();
    }
}
