package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.densenet4j.base.TerminalText;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.infer.ConfusionPlot;
import org.densenet4j.infer.EvaluationReport;
import org.densenet4j.infer.Evaluator;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.io.CheckpointArchive;
import org.densenet4j.torch.TorchImport;
import org.densenet4j.train.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code densenet4j eval}: top-1/top-5, per-class accuracy and the confusion matrix on a test set. */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = "Evaluate a checkpoint on a test set: top-1 and top-5 accuracy, per-class accuracy, "
                + "confusion matrix (text and PNG).")
final class EvalCommand implements Callable<Integer> {

    @Mixin
    CheckpointOption checkpoint;

    @Mixin
    PrecisionOption precision;

    @Mixin
    CalibrationOption calibration;

    @Mixin
    DataOptions data;

    @Option(names = "--batch-size", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(
            names = "--confusion-png",
            paramLabel = "FILE",
            description = "Where to draw the confusion matrix (default: confusion.png in the checkpoint's run folder "
                    + "when it has none yet; none for a checkpoint outside a run folder, such as the bundled model).")
    Path confusionPng;

    @Option(names = "--json", description = "Print the figures as JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Path file = checkpoint.resolve();
        try (NDManager manager = NDManager.newBaseManager()) {
            calibration.checkUsedWith(precision.precision());
            InferenceModel loaded = precision.precision() == Precision.INT8
                    ? calibration.compile(
                            checkpoint,
                            data.dataDir,
                            !data.noDownload,
                            manager,
                            spec.commandLine().getErr())
                    : checkpoint.loadForInference(
                            precision.precision(), manager, spec.commandLine().getErr());
            ModelSpec model = loaded.spec();
            // What the file says, whatever precision the model runs in: only a densenet4j checkpoint says it.
            String trainedOn = TorchImport.isTorchFile(file) ? null : CheckpointArchive.dataset(file);
            if (data.dataset == null && (trainedOn == null || trainedOn.startsWith("imported from"))) {
                throw new IllegalArgumentException(
                        file + " does not say which dataset it was trained on: give " + "--dataset");
            }
            DatasetSplits splits = data.load(trainedOn, model.channels(), model.height(), model.resizeAndCrop(), 0);
            ImageDataset test = splits.test();
            checkMatches(file, model, test);
            EvaluationReport report = Evaluator.evaluate(loaded, test, batchSize, manager);
            // A run's own plot is its training's final evaluation: drawn once, never replaced by a later eval.
            Path runPlot = confusionPng == null && checkpoint.given() != null ? runFolderPlot(file) : null;
            boolean runPlotKept = runPlot != null && java.nio.file.Files.exists(runPlot);
            Path plot = confusionPng != null ? confusionPng : runPlotKept ? null : runPlot;
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("checkpoint", file.toString());
                m.put("dataset", splits.name());
                m.put("images", report.images());
                m.put("top1", report.top1());
                m.put("top5", report.top5());
                m.put("loss", report.loss());
                // null, not NaN (which is not JSON), for a class without test images
                m.put(
                        "per_class_accuracy",
                        java.util.Arrays.stream(report.perClassAccuracy())
                                .mapToObj(a -> Double.isNaN(a) ? null : a)
                                .collect(java.util.stream.Collectors.toList()));
                m.put("class_names", report.classNames());
                m.put("confusion", report.confusion());
                m.put("skipped", report.skipped());
                out.println(TerminalText.json(new GsonBuilder()
                        .setPrettyPrinting()
                        .serializeSpecialFloatingPointValues()
                        .create()
                        .toJson(m)));
            } else {
                out.printf(
                        "%s (%s) on %s:%n",
                        TerminalText.escape(file),
                        TerminalText.escape(model.modelName()),
                        TerminalText.escape(splits.name()));
                EvaluationPrinter.print(out, report);
            }
            out.flush(); // the figures stand even if the plot cannot be written
            if (plot != null) {
                ConfusionPlot.write(report, plot);
            }
            if (!json) {
                out.printf(
                        "confusion matrix plot: %s%n",
                        plot != null
                                ? TerminalText.escape(plot)
                                : runPlotKept
                                        ? "not drawn (" + TerminalText.escape(runPlot)
                                                + " is the run's own; give --confusion-png FILE)"
                                        : "not drawn (give --confusion-png FILE)");
            }
            out.flush();
            return 0;
        }
    }

    /** confusion.png next to a checkpoint that sits in a training run's folder (it has metrics.csv), else null. */
    private static Path runFolderPlot(Path checkpoint) {
        Path dir = checkpoint.toAbsolutePath().getParent();
        return dir != null && java.nio.file.Files.isRegularFile(dir.resolve("metrics.csv"))
                ? dir.resolve(RunFolder.CONFUSION)
                : null;
    }

    private static void checkMatches(Path file, ModelSpec model, ImageDataset test) {
        if (!model.classNames().equals(test.classNames())) {
            throw new IllegalArgumentException(file + " was trained on classes " + model.classNames()
                    + " but the test set has " + test.classNames());
        }
        if (model.channels() != test.channels() || model.height() != test.height() || model.width() != test.width()) {
            throw new IllegalArgumentException(file + " takes " + model.channels() + "x" + model.height() + "x"
                    + model.width() + " images but the test set has " + test.channels() + "x" + test.height()
                    + "x" + test.width());
        }
    }
}
