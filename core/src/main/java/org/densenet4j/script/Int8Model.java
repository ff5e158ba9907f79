package org.densenet4j.script;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;
import org.densenet4j.data.Batch;
import org.densenet4j.data.BatchLoader;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.SubsetDataset;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.torch.TorchTensor;

/**
 * A DenseNet compiled by densenet4j for libtorch's int8 operators ({@link Int8Code}) and run through DJL as a
 * {@code PtSymbolBlock}, float32 in and out.
 *
 * <p>As for {@link ScriptedModel}, libtorch only ever loads a module densenet4j has just written itself into a
 * private temporary folder. The module prepacks its convolutions at its first forward; {@link #compile} runs that
 * forward itself, once, before anyone else can call the module, so that concurrent callers never race to fill it.
 */
public final class Int8Model implements InferenceModel, AutoCloseable {

    /** Calibration images by default: a few hundred, as PyTorch's post-training quantization recipes use. */
    public static final int DEFAULT_CALIBRATION_IMAGES = 256;

    /** The most images a calibration takes: ranges settle long before, and each image is decoded and run once. */
    public static final int MAX_CALIBRATION_IMAGES = 10_000;

    private static final int CALIBRATION_BATCH = 32;

    /** How DJL's {@code IValueUtils} is told to run another method than {@code forward}. */
    private static final String EXPLAIN_METHOD = "module_method:explain";

    private final ModelSpec spec;
    private final Model model;
    /** Holds {@link #classifierColumns}, closed with the model. */
    private final NDManager arrays;
    /**
     * The classifier's weight transposed (C, classes), for class activation maps: made once, read by every call
     * (concurrent calls only read it).
     */
    private final NDArray classifierColumns;

    private Int8Model(ModelSpec spec, Model model, NDManager arrays, NDArray classifierColumns) {
        this.spec = spec;
        this.model = model;
        this.arrays = arrays;
        this.classifierColumns = classifierColumns;
    }

    /**
     * The ranges of {@code model}'s maps over {@code count} images of {@code images}, spread evenly over the set
     * (all of them if it has fewer), computed by the float32 twin of the int8 module in libtorch.
     *
     * @throws IllegalArgumentException if the images do not fit the model or none can be read
     */
    public static Int8Calibration calibrate(Int8Source model, ImageDataset images, int count) throws IOException {
        ModelSpec spec = model.spec();
        if (count < 1) {
            throw new IllegalArgumentException("the number of calibration images must be at least 1, got " + count);
        }
        if (images.channels() != spec.channels()
                || images.height() != spec.height()
                || images.width() != spec.width()) {
            throw new IllegalArgumentException("calibration images " + images.source() + " are " + images.channels()
                    + "x" + images.height() + "x" + images.width() + " but " + spec.modelName() + " takes "
                    + spec.channels() + "x" + spec.height() + "x" + spec.width());
        }
        int n = Math.min(count, images.size());
        if (n == 0) {
            throw new IllegalArgumentException("calibration set " + images.source() + " holds no images");
        }
        int[] indices = new int[n];
        for (int i = 0; i < n; i++) {
            indices[i] = (int) ((long) i * images.size() / n);
        }
        try (BatchLoader batches =
                BatchLoader.evaluation(new SubsetDataset(images, indices), CALIBRATION_BATCH, spec.normalization())) {
            Int8Calibration ranges = calibrate(model, manager -> {
                while (batches.hasNext()) {
                    Batch batch = batches.next();
                    if (batch.count() > 0) {
                        return manager.create(batch.data(), spec.batchShape(batch.count()));
                    }
                }
                return null;
            });
            if (ranges.images() == 0) {
                throw new IllegalArgumentException("no calibration image of " + images.source() + " could be read");
            }
            return ranges;
        }
    }

    /**
     * The ranges of {@code model}'s maps over {@code images}, images (N, C, H, W) already normalised as the model
     * expects (for benchmarks, which have no image set), fed in batches of 32.
     */
    public static Int8Calibration calibrate(Int8Source model, NDArray images) throws IOException {
        long n = images.getShape().get(0);
        long[] next = {0};
        return calibrate(model, manager -> {
            if (next[0] >= n) {
                return null;
            }
            long end = Math.min(n, next[0] + CALIBRATION_BATCH);
            NDArray batch = images.get(next[0] + ":" + end).duplicate();
            batch.attach(manager);
            next[0] = end;
            return batch;
        });
    }

    /** Feeds every batch {@code batches} gives (null when done) to the float32 twin and widens the ranges by it. */
    private static Int8Calibration calibrate(Int8Source model, Function<NDManager, NDArray> batches)
            throws IOException {
        ModelSpec spec = model.spec();
        Int8Code.Calibration code = Int8Code.calibration(spec.config());
        Int8Calibration ranges = Int8Calibration.empty(Int8Code.points(spec.config()));
        Int8Weights weights = model.weights();
        try (Model twin = load(spec, file -> Int8Archive.write(spec, weights, code.source(), null, file));
                NDManager manager = NDManager.newBaseManager()) {
            Block block = twin.getBlock();
            ParameterStore ps = new ParameterStore(manager, false);
            while (true) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = batches.apply(scope);
                    if (x == null) {
                        return ranges;
                    }
                    NDList rows = block.forward(ps, new NDList(x), false);
                    ranges = ranges.with(
                            rows.singletonOrThrow().toFloatArray(),
                            code.recordPoints(),
                            x.getShape().get(0));
                }
            }
        }
    }

    /**
     * {@code model} compiled for libtorch's int8 operators with the scales of {@code calibration}, from the weights
     * its calibration folded if it was calibrated.
     */
    public static Int8Model compile(Int8Source model, Int8Calibration calibration) throws IOException {
        return compile(model.spec(), model.weights(), calibration);
    }

    /** An int8 archive's weights and calibration, checked by {@link TorchScriptArchive#read}, compiled again. */
    public static Int8Model compile(TorchScriptArchive.Contents contents) throws IOException {
        if (contents.precision() != Precision.INT8) {
            throw new IllegalArgumentException("a " + contents.precision() + " archive is not an int8 module");
        }
        return compile(contents.spec(), contents.int8Weights(), contents.calibration());
    }

    /**
     * Writes {@code model} with {@code calibration} as densenet4j's int8 TorchScript archive to {@code file}
     * atomically: the code, the float32 tensors it quantizes at its first forward, and the calibration in {@code
     * extra/calibration.json}; densenet4j reads it back as data ({@link TorchScriptArchive#read}).
     */
    public static void export(Int8Source model, Int8Calibration calibration, Path file) throws IOException {
        ModelSpec spec = model.spec();
        requirePoints(spec, calibration);
        model.requireQuantizable();
        Int8Archive.write(spec, model.weights(), Int8Code.int8(spec.config(), calibration), calibration, file);
    }

    private static void requirePoints(ModelSpec spec, Int8Calibration calibration) {
        if (!calibration.points().equals(Int8Code.points(spec.config()))) {
            throw new IllegalArgumentException("the calibration was made for another network than " + spec.modelName());
        }
    }

    private static Int8Model compile(ModelSpec spec, Int8Weights weights, Int8Calibration calibration)
            throws IOException {
        Precision.INT8.requireSupport();
        requirePoints(spec, calibration);
        Int8Source.requireQuantizable(weights);
        String code = Int8Code.int8(spec.config(), calibration);
        QuantizedEngine.selectFbgemm(); // before the module prepacks: the engine decides the kernels
        Model loaded = load(spec, file -> Int8Archive.write(spec, weights, code, calibration, file));
        try (NDManager manager = NDManager.newBaseManager()) {
            // The first forward prepacks the convolutions: run it here, before the module is shared.
            NDArray x = manager.zeros(spec.batchShape(1));
            loaded.getBlock().forward(new ParameterStore(manager, false), new NDList(x), false);
        } catch (RuntimeException e) {
            loaded.close();
            throw new IOException(
                    "libtorch could not run densenet4j's own int8 module for " + spec.modelName() + " ("
                            + e.getMessage() + ")",
                    e);
        }
        NDManager arrays = NDManager.newBaseManager();
        try {
            return new Int8Model(
                    spec, loaded, arrays, columns(arrays, weights.classifier().get(0)));
        } catch (RuntimeException e) {
            arrays.close();
            loaded.close();
            throw e;
        }
    }

    /** {@code weight} (classes, C) transposed on {@code manager}: (C, classes), contiguous. */
    private static NDArray columns(NDManager manager, TorchTensor weight) {
        int classes = (int) weight.shape()[0];
        int channels = (int) weight.shape()[1];
        float[] rows = weight.data();
        float[] columns = new float[rows.length];
        for (int k = 0; k < classes; k++) {
            for (int c = 0; c < channels; c++) {
                columns[c * classes + k] = rows[k * channels + c];
            }
        }
        return manager.create(columns, new Shape(channels, classes));
    }

    /**
     * The logits (N, classes) and class activation maps (N, classes, h, w) of the int8 network, from one pass of the
     * module's {@code explain}: each map is the classifier's weights for its class applied to the final maps
     * (dequantized) at every position, so that its mean is the class's logit less its bias, as {@code
     * FoldedDenseNet} computes them in float32.
     */
    public NDList logitsAndClassActivationMaps(NDArray images) {
        NDManager m = images.getManager();
        NDArray method = m.create(0f);
        method.setName(EXPLAIN_METHOD);
        NDList both = model.getBlock().forward(new ParameterStore(m, false), new NDList(images, method), false);
        method.close();
        NDArray maps = both.get(1);
        Shape s = maps.getShape();
        NDArray perPosition = maps.transpose(0, 2, 3, 1).reshape(-1, s.get(1)); // (N*h*w, C)
        NDArray cams = perPosition
                .matMul(classifierColumns)
                .reshape(s.get(0), s.get(2), s.get(3), -1)
                .transpose(0, 3, 1, 2);
        perPosition.close();
        maps.close();
        return new NDList(both.get(0), cams);
    }

    /** Loads the module {@code writer} writes (densenet4j's own, {@link OwnModule}). */
    private static Model load(ModelSpec spec, OwnModule.Writer writer) throws IOException {
        return OwnModule.load("int8 module for " + spec.modelName(), writer);
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    /** The int8 TorchScript module, a {@code PtSymbolBlock}; it lives until {@link #close()}. */
    @Override
    public Block inferenceBlock(NDManager manager) {
        return model.getBlock();
    }

    @Override
    public void close() {
        arrays.close();
        model.close();
    }
}
