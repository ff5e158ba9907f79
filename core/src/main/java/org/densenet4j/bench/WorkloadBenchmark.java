package org.densenet4j.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.function.BooleanSupplier;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.NpyFile;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.FoldedDenseNet;
import org.densenet4j.script.Int8Calibration;
import org.densenet4j.script.Int8Model;
import org.densenet4j.script.Int8Source;
import org.densenet4j.script.ScriptedModel;
import org.densenet4j.train.MixedPrecisionPass;
import org.densenet4j.train.NesterovSgd;
import org.densenet4j.train.StopRequestedException;
import org.densenet4j.train.TrainingPass;

/**
 * Times one workload: warm-up iterations, then the median of timed ones, each in its own NDManager
 * scope so that memory stays flat. Runs the same code paths as training and inference.
 */
public final class WorkloadBenchmark {

    private WorkloadBenchmark() {}

    public static BenchmarkResult run(Workload w, int warmup, int iterations) {
        return run(w, warmup, iterations, () -> false);
    }

    /**
     * As {@link #run(Workload, int, int)}, stopping between iterations with a {@link StopRequestedException} when
     * {@code stopRequested} turns true.
     */
    public static BenchmarkResult run(Workload w, int warmup, int iterations, BooleanSupplier stopRequested) {
        return run(w, warmup, iterations, stopRequested, null);
    }

    /**
     * As {@link #run(Workload, int, int, BooleanSupplier)}; when {@code profile} is not null, one more iteration
     * runs under libtorch's profiler and its trace (Chrome trace JSON, one event per operator) is written there.
     */
    public static BenchmarkResult run(
            Workload w, int warmup, int iterations, BooleanSupplier stopRequested, Path profile) {
        if (w.mode() == Workload.Mode.TRAIN && w.precision() == Precision.INT8) {
            throw new IllegalArgumentException("int8 is for inference: the training workload runs in fp32 or bf16");
        }
        w.precision().requireSupport();
        if (iterations < 1 || warmup < 0) {
            throw new IllegalArgumentException("need at least one timed iteration, got " + iterations);
        }
        Engine.getInstance().setRandomSeed(1);
        double[] seconds = new double[iterations];
        try (Model model = Model.newInstance(w.name())) {
            DenseNet net = new DenseNet(w.config());
            net.setMemoryFormat(w.memoryFormat());
            w.step().checkSupports(w.config());
            model.setBlock(net);
            net.initialize(model.getNDManager(), DataType.FLOAT32, w.batch());
            NDManager m = model.getNDManager();
            NDArray x = m.randomNormal(w.batch());
            NDArray y =
                    m.randomInteger(0, w.config().classes(), new Shape(w.batch().get(0)), DataType.INT32);
            if (w.mode() == Workload.Mode.INFER) {
                ParameterStore ps = new ParameterStore(m, false);
                Block runner =
                        switch (w.precision()) {
                            case BF16 -> bfloat16(net, w, m);
                            case INT8 -> int8(net, w, x, m);
                            case FP32 -> w.plainInference() ? net : FoldedDenseNet.of(net, m);
                        };
                repeat(warmup, seconds, stopRequested, profile, () -> {
                    try (NDManager scope = m.newSubManager()) {
                        NDArray input = x.duplicate();
                        input.attach(scope);
                        runner.forward(ps, new NDList(input), false)
                                .singletonOrThrow()
                                .toFloatArray();
                    }
                });
            } else {
                NesterovSgd sgd = NesterovSgd.builder().build();
                try (Trainer trainer = model.newTrainer(
                                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd));
                        MixedPrecisionPass mixed = w.precision() == Precision.BF16 ? mixedPrecision(net) : null) {
                    TrainingPass forward = mixed != null ? mixed : TrainingPass.FLOAT32;
                    repeat(warmup, seconds, stopRequested, profile, () -> {
                        try (NDManager scope = trainer.getManager().newSubManager()) {
                            NDArray input = x.duplicate();
                            input.attach(scope);
                            w.step().forwardBackward(trainer, forward, input, y);
                            trainer.step();
                        }
                    });
                }
            }
        }
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        return new BenchmarkResult(w.batch().get(0) / median, median, iterations, peakRssBytes());
    }

    /**
     * Runs {@code iteration} {@code warmup} times, then once per element of {@code seconds}, timing each; then once
     * more under libtorch's profiler when {@code profile} is set.
     */
    private static void repeat(
            int warmup, double[] seconds, BooleanSupplier stopRequested, Path profile, Runnable iteration) {
        for (int i = 0; i < warmup + seconds.length; i++) {
            checkStop(stopRequested, i);
            long start = System.nanoTime();
            iteration.run();
            record(seconds, i - warmup, start);
        }
        if (profile != null) {
            // libtorch writes the trace itself: into a sibling first, so that the file appears whole or not at all
            Path partial = profile.resolveSibling(profile.getFileName() + ".partial");
            JniUtils.startProfile(false, true, false);
            try {
                iteration.run();
            } finally {
                JniUtils.stopProfile(partial.toAbsolutePath().toString());
            }
            try {
                Files.move(partial, profile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(profile + ": could not write the profile", e);
            }
        }
    }

    /**
     * The network as libtorch runs it in bfloat16: exported as a bfloat16 TorchScript archive and loaded back; the
     * module lives as long as {@code manager}.
     */
    private static Block bfloat16(DenseNet net, Workload w, NDManager manager) {
        try {
            ScriptedModel compiled = ScriptedModel.compile(new TrainedModel(spec(w), net), Precision.BF16);
            manager.attachInternal(java.util.UUID.randomUUID().toString(), compiled);
            return compiled.inferenceBlock(manager);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The network as densenet4j's int8 module, calibrated on the workload's calibration images or else on the
     * benchmark's own input batch {@code x}; the module lives as long as {@code manager}.
     */
    private static Block int8(DenseNet net, Workload w, NDArray x, NDManager manager) {
        try {
            // folded once, for calibration and compilation
            Int8Source model = Int8Source.of(new TrainedModel(spec(w), net));
            Int8Calibration calibration;
            if (w.calibration() == null) {
                calibration = Int8Model.calibrate(model, x);
            } else {
                try (NDManager scratch = manager.newSubManager()) {
                    calibration = Int8Model.calibrate(model, calibrationImages(w, scratch));
                }
            }
            Int8Model compiled = Int8Model.compile(model, calibration);
            manager.attachInternal(java.util.UUID.randomUUID().toString(), compiled);
            return compiled.inferenceBlock(manager);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The workload's calibration images: a .npy array of normalised images shaped (N, C, H, W) as the workload's
     * input, N from 1 to 10,000, every value finite.
     *
     * @throws IllegalArgumentException naming the file if it holds anything else
     */
    private static NDArray calibrationImages(Workload w, NDManager manager) throws IOException {
        NDArray images = NpyFile.read(w.calibration(), manager).toType(DataType.FLOAT32, false);
        long[] shape = images.getShape().getShape();
        long[] input = w.batch().getShape();
        if (shape.length != 4
                || shape[0] < 1
                || shape[0] > Int8Model.MAX_CALIBRATION_IMAGES
                || shape[1] != input[1]
                || shape[2] != input[2]
                || shape[3] != input[3]) {
            throw new IllegalArgumentException(w.calibration() + ": calibration images must be shaped (N, " + input[1]
                    + ", " + input[2] + ", " + input[3] + ") with N from 1 to " + Int8Model.MAX_CALIBRATION_IMAGES
                    + ", not "
                    + images.getShape());
        }
        if (!images.isInfinite().logicalOr(images.isNaN()).none().getBoolean()) {
            throw new IllegalArgumentException(w.calibration() + ": calibration images hold NaN or infinite values");
        }
        return images;
    }

    /** What the workload's random network takes: its input size, numbered classes, no normalisation. */
    private static ModelSpec spec(Workload w) {
        int classes = w.config().classes();
        float[] mean = new float[w.config().inputChannels()];
        float[] std = new float[mean.length];
        Arrays.fill(std, 1f);
        return new ModelSpec(
                w.name(),
                w.config(),
                (int) w.batch().get(2),
                (int) w.batch().get(3),
                java.util.stream.IntStream.range(0, classes)
                        .mapToObj(i -> "class_" + i)
                        .toList(),
                new Normalization(mean, std));
    }

    /** The network's bf16 mixed-precision training pass. */
    private static MixedPrecisionPass mixedPrecision(DenseNet net) {
        try {
            return MixedPrecisionPass.compile(net);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void checkStop(BooleanSupplier stopRequested, int iteration) {
        if (stopRequested.getAsBoolean()) {
            throw new StopRequestedException(
                    "benchmark stopped on request after " + iteration + " iteration(s); no figures were recorded");
        }
    }

    private static void record(double[] seconds, int index, long start) {
        if (index >= 0) {
            seconds[index] = (System.nanoTime() - start) / 1e9;
        }
    }

    /** VmHWM from /proc/self/status: the peak resident set of this process; -1 where unavailable. */
    public static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
