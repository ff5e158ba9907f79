package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.data.BatchLoader;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.ImageFolderDataset;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.Presets;
import org.densenet4j.train.DenseNetTrainer;
import org.densenet4j.train.NesterovSgd;
import org.densenet4j.train.PretrainedStart;
import org.densenet4j.train.TrainingPass;
import org.densenet4j.train.TrainingRecipe;
import org.densenet4j.train.TrainingStep;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** spark-train's synchronous data-parallel SGD in local[2] against the local step, itself, and a resumed run. */
class SparkTrainDataParallelTest {

    private static final Path BUNDLED = SparkClassifyTest.BUNDLED;
    private static final long SEED = 7;

    @TempDir
    Path tmp;

    private Path data;

    @BeforeEach
    void writeData() throws Exception {
        data = SparkTrainProbeTest.writeImages(tmp.resolve("data"));
    }

    /** The job on {@code data} into {@code run} with {@code extra} options, in local[2]. */
    private SparkTrain job(Path run, String... extra) {
        return jobOn("local[2]", run, extra);
    }

    /** The job on {@code data} into {@code run} with {@code extra} options, on {@code master}. */
    private SparkTrain jobOn(String master, Path run, String... extra) {
        SparkTrain job = new SparkTrain();
        SparkTrain.commandLine(job).parseArgs(arguments(run, master, extra).toArray(String[]::new));
        return job;
    }

    /** The command line of {@link #job}. */
    private List<String> arguments(Path run, String master, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--input",
                data.toString(),
                "--holdout",
                "0.25",
                "--run-dir",
                run.toString(),
                "--weights",
                BUNDLED.toString(),
                "--seed",
                Long.toString(SEED),
                "--master",
                master,
                "--shards",
                "2",
                "--lr",
                "0.05"));
        args.addAll(List.of(extra));
        return args;
    }

    @Test
    void oneDistributedStepIsTheLocalStepOnTheMeanOfTheShardsGradients() throws Exception {
        // 18 training images in one step of the global batch, over 2 partitions of 9.
        DataParallelJob.Result result = job(tmp.resolve("run"), "--epochs", "1", "--batch-size", "18", "--no-augment")
                .runDataParallel();
        assertEquals(1, result.history().size());

        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel pretrained = ModelFiles.open(BUNDLED, manager);
            ModelSpec from = pretrained.spec();
            DatasetSplits splits =
                    ImageFolderDataset.splits(data, from.channels(), from.height(), from.resizeAndCrop(), 0.25, SEED);
            assertEquals(18, splits.train().size());
            DenseNetConfig config = new PretrainedStart(pretrained, false)
                    .configFor(splits.train().classCount(), 0);

            // The starting point, as the driver builds it: the same seed for the new classifier.
            Engine.getInstance().setRandomSeed((int) SEED);
            DenseNet network = new DenseNet(config);
            try (Model model = Model.newInstance("reference")) {
                model.setBlock(network);
                network.initialize(model.getNDManager(), DataType.FLOAT32, from.batchShape(1));
                new PretrainedStart(pretrained, false)
                        .copyInto(network, splits.train().classNames());
                ParameterLayout layout = new ParameterLayout(network);
                float[] start = ParameterLayout.flatten(layout.all());
                try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()))) {
                    trainer.initialize(from.batchShape(1));
                    int[] order = BatchLoader.trainingOrder(18, SEED, 0);
                    List<TrainingShard> shards = DataParallelJob.shards(splits.train(), order, 0, 18, 2);
                    float[] gradients = new float[ParameterLayout.flatten(layout.trainable()).length];
                    float[] statistics = new float[ParameterLayout.flatten(layout.statistics()).length];
                    int total = 0;
                    for (TrainingShard shard : shards) {
                        ParameterLayout.load(layout.all(), start, 1); // every shard starts from the broadcast
                        int n = shard.size();
                        int imageSize = from.channels() * from.height() * from.width();
                        float[] x = new float[n * imageSize];
                        for (int i = 0; i < n; i++) {
                            from.normalization().apply(splits.train().pixels(shard.indices()[i]), x, i * imageSize);
                        }
                        try (NDManager scope = manager.newSubManager()) {
                            TrainingStep.PLAIN.forwardBackward(
                                    trainer,
                                    TrainingPass.FLOAT32,
                                    scope.create(x, from.batchShape(n)),
                                    scope.create(shard.labels()));
                        }
                        add(gradients, gradientsOf(layout.trainable()), n);
                        add(statistics, ParameterLayout.flatten(layout.statistics()), n);
                        total += n;
                    }
                    ParameterLayout.load(layout.all(), start, 1);
                    NesterovSgd sgd = NesterovSgd.builder()
                            .optLearningRate(0.05f)
                            .optMomentum(0.9f)
                            .optWeightDecays(1e-4f)
                            .build();
                    DataParallelJob.apply(
                            new ShardGradient(gradients, statistics, 0, 0, total, 0, List.of()), layout, sgd, manager);
                    float[] expected = ParameterLayout.flatten(layout.all());

                    TrainedModel trained = ModelFiles.open(result.checkpoint(), manager);
                    float[] got = ParameterLayout.flatten(new ParameterLayout(trained.network()).all());
                    assertEquals(expected.length, got.length);
                    double moved = 0;
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(expected[i], got[i], 1e-5, "value " + i);
                        moved = Math.max(moved, Math.abs(got[i] - start[i]));
                    }
                    assertTrue(moved > 1e-4, "the step changed the weights");
                }
            }
        }
    }

    @Test
    void oneSeedGivesOneCheckpointAndAResumedRunContinuesExactly() throws Exception {
        String[] settings = {"--epochs", "2", "--batch-size", "8", "--augment", "crop,flip"};
        job(tmp.resolve("a"), settings).runDataParallel();
        job(tmp.resolve("b"), settings).runDataParallel();
        float[] a = weights(tmp.resolve("a"));
        assertArrayEquals(a, weights(tmp.resolve("b")), "the same seed gives the same weights");

        SparkTrain interrupted = job(tmp.resolve("c"), settings);
        Path checkpoint = tmp.resolve("c").resolve("checkpoint.d4j");
        interrupted.stopRequested = () -> Files.exists(checkpoint); // stops in epoch 2, after epoch 1's checkpoint
        assertThrows(org.densenet4j.train.StopRequestedException.class, interrupted::runDataParallel);
        List<String> resumed = new ArrayList<>(List.of(settings));
        resumed.add("--resume");
        job(tmp.resolve("c"), resumed.toArray(String[]::new)).runDataParallel();
        assertArrayEquals(a, weights(tmp.resolve("c")), "a resumed run ends where an uninterrupted one does");
    }

    @Test
    void aTaskThatFailsAndIsRetriedComputesTheSameStep() throws Exception {
        String[] settings = {"--epochs", "1", "--batch-size", "8", "--augment", "crop,flip"};
        job(tmp.resolve("a"), settings).runDataParallel();
        int failures = ExecutorTrainer.INJECTED_FAILURES.get();
        System.setProperty(ExecutorTrainer.FAIL_FIRST_ATTEMPT, "0:1");
        try {
            // local[2,2]: two task slots, and a task is tried twice before the job fails.
            jobOn("local[2,2]", tmp.resolve("b"), settings).runDataParallel();
        } finally {
            System.clearProperty(ExecutorTrainer.FAIL_FIRST_ATTEMPT);
        }
        assertEquals(2, ExecutorTrainer.INJECTED_FAILURES.get() - failures, "both partitions of step 2 failed once");
        assertArrayEquals(weights(tmp.resolve("a")), weights(tmp.resolve("b")), "the retried tasks changed nothing");
    }

    @Test
    void aRunKilledMidEpochResumesExactly() throws Exception {
        String[] settings = {"--epochs", "2", "--batch-size", "4", "--augment", "crop,flip"};
        job(tmp.resolve("a"), settings).runDataParallel();

        // Another JVM runs the job and is killed (SIGKILL) once it has taken a step of epoch 2.
        Path run = tmp.resolve("killed");
        List<String> command = new ArrayList<>(SparkParquetInputTest.childJava());
        // With libtorch's thread counts of this JVM (whichever test started its engine): a convolution's gradient
        // sums in an order that depends on them, and one seed gives one checkpoint on the same counts.
        command.add(1, "-Dai.djl.pytorch.num_threads=" + ai.djl.pytorch.jni.JniUtils.getNumThreads());
        command.add(1, "-Dai.djl.pytorch.num_interop_threads=" + ai.djl.pytorch.jni.JniUtils.getNumInteropThreads());
        command.add(SparkTrain.class.getName());
        command.addAll(arguments(run, "local[2]", settings));
        Process child = new ProcessBuilder(command)
                .redirectError(tmp.resolve("killed.log").toFile())
                .start();
        List<String> seen = new ArrayList<>();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                seen.add(line);
                if (line.startsWith("epoch 2/2 step 1/")) {
                    child.destroyForcibly();
                    break;
                }
            }
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
        assertTrue(seen.stream().anyMatch(l -> l.startsWith("epoch 2/2 step 1/")), "killed in epoch 2: " + seen);
        assertEquals(
                1,
                org.densenet4j.train.CheckpointFile.readDescription(run.resolve("checkpoint.d4j"))
                        .epochsCompleted(),
                "killed before epoch 2 ended");

        List<String> resumed = new ArrayList<>(List.of(settings));
        resumed.add("--resume");
        job(run, resumed.toArray(String[]::new)).runDataParallel();
        assertArrayEquals(
                weights(tmp.resolve("a")), weights(run), "a killed run resumed ends where an uninterrupted one does");
    }

    @Test
    void int8IsRefusedAndBf16WhereThisMachineCannotTrainInIt() {
        Run int8 = execute("--precision", "int8");
        assertEquals(2, int8.exit(), int8.err());
        assertEquals(
                "densenet4j spark-train: int8 is for inference (predict, eval, bench): train in fp32 or bf16",
                int8.err().strip());
        Assumptions.assumeFalse(Precision.BF16.isSupported(), "this machine trains in bf16: see trainsInBf16");
        Run bf16 = execute("--precision", "bf16");
        assertEquals(2, bf16.exit(), bf16.err());
        String why = bf16.err().strip();
        assertEquals(1, why.lines().count(), why);
        assertTrue(why.startsWith("densenet4j spark-train: bf16 ") && why.contains("fp32"), why);
        assertFalse(Files.exists(tmp.resolve("bf16")), "refused before anything is written");
    }

    @Test
    void trainsInBf16WhereThisMachineCan() throws Exception {
        Assumptions.assumeTrue(Precision.BF16.isSupported(), "no native bf16 here (or oneDNN is capped below it)");
        DataParallelJob.Result result = job(
                        tmp.resolve("bf16"),
                        "--epochs",
                        "1",
                        "--batch-size",
                        "8",
                        "--no-augment",
                        "--precision",
                        "bf16")
                .runDataParallel();
        assertTrue(
                Double.isFinite(result.history().get(0).trainLoss()),
                result.history().toString());
        assertEquals(
                Precision.BF16,
                org.densenet4j.train.CheckpointFile.readDescription(result.checkpoint())
                        .recipe()
                        .precision());
    }

    /** What the command line answers, with the test's data and weights, before any Spark job. */
    private Run execute(String... extra) {
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = SparkTrain.commandLine(new SparkTrain());
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
        int exit = cl.execute(arguments(tmp.resolve(extra[extra.length - 1]), "local[2]", extra)
                .toArray(String[]::new));
        return new Run(exit, err.toString());
    }

    private record Run(int exit, String err) {}

    @Test
    void fromScratchTheNetworkStartsAsTrainsAndOneSeedGivesOneCheckpoint() throws Exception {
        String[] scratch = scratchSettings();
        // A learning rate too small to move a weight: the checkpoint holds the initial weights.
        scratchJob(tmp.resolve("start"), scratch, "--epochs", "1", "--lr", "1e-12")
                .runDataParallel();
        DatasetSplits splits = ImageFolderDataset.splits(data, 1, 28, null, 0.25, SEED);
        TrainingRecipe recipe =
                new TrainingRecipe(1, 8, 1e-12, 0.9, 1e-4, org.densenet4j.train.LearningRateSchedule.STEP, true, SEED);
        new DenseNetTrainer(recipe, tmp.resolve("train"), null)
                .train(
                        "densenet-bc-40-12",
                        Presets.named("densenet-bc-40-12")
                                .builder()
                                .optInputChannels(1)
                                .optClasses(3)
                                .build(),
                        splits,
                        false);
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel spark = ModelFiles.open(tmp.resolve("start").resolve("checkpoint.d4j"), manager);
            TrainedModel train = ModelFiles.open(tmp.resolve("train").resolve("checkpoint.d4j"), manager);
            assertEquals(train.spec().describeModel(), spark.spec().describeModel());
            assertEquals(train.spec().describeInput(), spark.spec().describeInput());
            assertEquals(train.spec().classNames(), spark.spec().classNames());
            assertArrayEquals(
                    train.spec().normalization().mean(),
                    spark.spec().normalization().mean());
            assertArrayEquals(
                    train.spec().normalization().std(),
                    spark.spec().normalization().std());
            float[] expected = ParameterLayout.flatten(new ParameterLayout(train.network()).trainable());
            float[] got = ParameterLayout.flatten(new ParameterLayout(spark.network()).trainable());
            assertEquals(expected.length, got.length);
            for (int i = 0; i < got.length; i++) {
                assertEquals(
                        expected[i], got[i], 1e-6, "initial value " + i + ", drawn from the seed as train draws it");
            }
        }

        scratchJob(tmp.resolve("a"), scratch, "--epochs", "2", "--lr", "0.1").runDataParallel();
        DataParallelJob.Result b = scratchJob(tmp.resolve("b"), scratch, "--epochs", "2", "--lr", "0.1")
                .runDataParallel();
        float[] a = weights(tmp.resolve("a"));
        assertArrayEquals(a, weights(tmp.resolve("b")), "the same seed gives the same weights from scratch");
        assertTrue(b.history().get(1).trainLoss() < b.history().get(0).trainLoss(), "it learns: " + b.history());
    }

    @Test
    void aRunFromScratchResumesWithItsCheckpointsNormalisationWithoutFittingItAgain() throws Exception {
        String[] scratch = scratchSettings();
        Path run = tmp.resolve("scratch");
        DataParallelJob.Result done = scratchJob(run, scratch, "--epochs", "1").runDataParallel();
        byte[] checkpoint = Files.readAllBytes(run.resolve("checkpoint.d4j"));
        // Every training image made unreadable: fitting the normalisation again would find none and refuse the run.
        DatasetSplits splits = ImageFolderDataset.splits(data, 1, 28, null, 0.25, SEED);
        for (int i = 0; i < splits.train().size(); i++) {
            Files.write(splits.train().file(i), new byte[] {1, 2, 3});
        }
        DataParallelJob.Result resumed =
                scratchJob(run, scratch, "--epochs", "1", "--resume").runDataParallel();
        assertEquals(done.history(), resumed.history());
        assertEquals(done.finalEvaluation().top1(), resumed.finalEvaluation().top1());
        assertArrayEquals(checkpoint, Files.readAllBytes(run.resolve("checkpoint.d4j")), "nothing left to train");

        // Resumed at another input size: refused, naming both, before any image is read.
        String[] otherSize = scratch.clone();
        otherSize[java.util.Arrays.asList(otherSize).indexOf("28")] = "32";
        IllegalArgumentException refused = assertThrows(
                IllegalArgumentException.class,
                () -> scratchJob(run, otherSize, "--epochs", "2", "--resume").runDataParallel());
        assertTrue(
                refused.getMessage().contains("its checkpoint's network takes 1x28x28 images, this run reads 1x32x32"),
                refused.getMessage());
        assertArrayEquals(checkpoint, Files.readAllBytes(run.resolve("checkpoint.d4j")), "untouched");
    }

    /** From scratch on the test's images: densenet-bc-40-12 for 28x28 grey images, 2 shards, batch 8. */
    private String[] scratchSettings() {
        return new String[] {
            "--input", data.toString(),
            "--holdout", "0.25",
            "--model", "densenet-bc-40-12",
            "--channels", "1",
            "--image-size", "28",
            "--seed", Long.toString(SEED),
            "--master", "local[2]",
            "--shards", "2",
            "--batch-size", "8"
        };
    }

    private static SparkTrain scratchJob(Path run, String[] settings, String... extra) {
        SparkTrain job = new SparkTrain();
        List<String> args = new ArrayList<>(List.of(settings));
        args.addAll(List.of("--run-dir", run.toString()));
        args.addAll(List.of(extra));
        SparkTrain.commandLine(job).parseArgs(args.toArray(String[]::new));
        return job;
    }

    private static float[] weights(Path run) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel m = ModelFiles.open(run.resolve("checkpoint.d4j"), manager);
            return ParameterLayout.flatten(new ParameterLayout(m.network()).all());
        }
    }

    private static float[] gradientsOf(List<Parameter> parameters) {
        List<Float> values = new ArrayList<>();
        for (Parameter p : parameters) {
            try (NDArray g = p.getArray().getGradient()) {
                for (float v : g.toFloatArray()) {
                    values.add(v);
                }
            }
        }
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static void add(float[] sum, float[] values, int times) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += values[i] * times;
        }
    }
}
