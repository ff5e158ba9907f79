package org.densenet4j.cli;

import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.densenet4j.bench.BenchmarkResult;
import org.densenet4j.bench.Workload;
import org.densenet4j.bench.WorkloadBenchmark;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.MemoryFormat;
import org.densenet4j.model.MemoryPlan;
import org.densenet4j.train.StopRequestedException;
import org.densenet4j.train.TrainingStep;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code densenet4j bench}: throughput and peak memory of one workload of densenet4j alone. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Measure one workload (eval-mode inference or a full training step): images/s from the median "
                + "of timed iterations after warm-up, and the process's peak resident memory.")
final class BenchCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(
            names = "--input",
            paramLabel = "CxHxW",
            converter = InputShapeConverter.class,
            description = "One image's shape (default: the preset's).")
    Shape input;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--mode", defaultValue = "INFER", description = "${COMPLETION-CANDIDATES} (default: infer).")
    Workload.Mode mode;

    @Option(
            names = "--memory-format",
            defaultValue = "CHANNELS_LAST",
            description =
                    "How the plain network stores feature maps (training and --plain-inference): "
                            + "${COMPLETION-CANDIDATES} (default: channels_last, the fast one; channels_first is the reference).")
    MemoryFormat memoryFormat;

    @Option(
            names = "--plain-inference",
            description = "Infer with the plain network (the reference) instead of "
                    + "the folded inference network that predict, eval and serve use.")
    boolean plainInference;

    @Mixin
    PrecisionOption precision;

    @Option(
            names = "--memory-efficient",
            description = "Train with the memory-efficient step (recomputes each "
                    + "dense layer in backward; memory linear in depth).")
    boolean memoryEfficient;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed iterations (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iterations", defaultValue = "5", description = "Timed iterations (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(
            names = "--profile",
            paramLabel = "FILE",
            description = "After the timed iterations, run one more under libtorch's profiler and write its trace "
                    + "(Chrome trace JSON, one event per operator; scripts/trace_summary.py sums it per operator) "
                    + "to FILE.")
    Path profile;

    @Option(
            names = "--calibrate",
            paramLabel = "FILE.npy",
            description = "int8 only: calibrate on these images, normalised float32 (N, C, H, W) as --input "
                    + "(the benchmark harness gives PyTorch's int8 the same) (default: the benchmark's own input "
                    + "batch).")
    Path calibration;

    @Option(names = "--json", description = "Print JSON with images_per_second and peak_rss_bytes.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        if (calibration != null && precision.precision() != org.densenet4j.infer.Precision.INT8) {
            throw new IllegalArgumentException("--calibrate is for --precision int8, not " + precision.precision());
        }
        if (profile != null && !Files.isDirectory(profile.toAbsolutePath().getParent())) {
            throw new IllegalArgumentException("--profile " + profile + ": its folder does not exist");
        }
        int[] preset = model.preset.inputShape();
        Shape image = input != null ? input : new Shape(preset[0], preset[1], preset[2]);
        DenseNetConfig config = model.config((int) image.get(0));
        Shape shape = new Shape(batch).addAll(image); // the benchmark's network checks it against the model
        String name = model.preset.name() + " " + image.get(1) + "x" + image.get(2) + " batch " + batch + " "
                + mode.name().toLowerCase();
        TrainingStep step = memoryEfficient ? TrainingStep.MEMORY_EFFICIENT : TrainingStep.PLAIN;
        MemoryCheck.require(
                "bench " + model.preset.name() + " " + mode.name().toLowerCase(),
                config,
                image,
                batch,
                mode == Workload.Mode.INFER
                        ? MemoryPlan.Use.INFERENCE
                        : memoryEfficient ? MemoryPlan.Use.MEMORY_EFFICIENT_TRAINING : MemoryPlan.Use.TRAINING,
                "--batch");
        BenchmarkResult r;
        try (Interruption interruption = new Interruption()) {
            r = WorkloadBenchmark.run(
                    new Workload(
                            name,
                            config,
                            shape,
                            mode,
                            memoryFormat,
                            step,
                            plainInference,
                            precision.precision(),
                            calibration),
                    warmup,
                    iterations,
                    interruption::requested,
                    profile);
        } catch (StopRequestedException e) {
            spec.commandLine().getErr().println("densenet4j bench: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return Interruption.EXIT_INTERRUPTED;
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", model.preset.name());
            m.put("input", image.getShape());
            m.put("batch", batch);
            m.put("mode", mode.name().toLowerCase());
            m.put("memory_format", memoryFormat.name().toLowerCase());
            m.put("memory_efficient", memoryEfficient);
            m.put("plain_inference", plainInference);
            m.put("precision", precision.precision().toString());
            m.put("images_per_second", r.imagesPerSecond());
            m.put("median_seconds", r.medianSeconds());
            m.put("iterations", r.iterations());
            m.put("peak_rss_bytes", r.peakRssBytes());
            m.put("threads", Runtime.getRuntime().availableProcessors());
            out.println(new GsonBuilder().setPrettyPrinting().create().toJson(m));
        } else {
            out.printf(
                    "%s: %.1f images/s (median %.3f s over %d iterations), peak RSS %s%n",
                    name, r.imagesPerSecond(), r.medianSeconds(), r.iterations(), Units.bytes(r.peakRssBytes()));
        }
        out.flush();
        return 0;
    }
}
