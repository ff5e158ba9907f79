package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.base.TerminalText;
import org.densenet4j.data.DatasetCatalog;
import org.densenet4j.data.DatasetLocator;
import org.densenet4j.data.Downloader;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.data.InMemoryDataset;
import org.densenet4j.data.UnreadableImageException;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.CheckpointArchive;
import org.densenet4j.script.Int8Calibration;
import org.densenet4j.script.Int8Model;
import org.densenet4j.script.TorchScriptArchive;
import org.densenet4j.torch.TorchImport;
import picocli.CommandLine.Option;

/**
 * {@code --calibrate DIR|DATASET [--calibrate-images N]}: the images an int8 model's activation ranges are measured
 * on (post-training quantization), for every verb that runs a model in int8.
 */
final class CalibrationOption {

    /** The most calibration images: ranges settle after a few hundred; this bounds time and memory. */
    static final int MAX_IMAGES = 10_000;

    /** The most memory a folder's prepared calibration images may take. */
    static final long MAX_FOLDER_BYTES = 512L << 20;

    @Option(
            names = "--calibrate",
            paramLabel = "DIR|DATASET",
            description = "int8 only: the images to calibrate on, a folder of images (searched recursively) or a "
                    + "dataset name (its training split) (default: the training set the checkpoint records).")
    String calibrate;

    @Option(
            names = "--calibrate-images",
            paramLabel = "N",
            defaultValue = "" + Int8Model.DEFAULT_CALIBRATION_IMAGES,
            description = "int8 only: how many images to calibrate on, spread evenly over the set "
                    + "(default: ${DEFAULT-VALUE}, at most " + MAX_IMAGES + ").")
    int images;

    /** Refuses the calibration options where the precision is not int8: they would do nothing. */
    void checkUsedWith(Precision precision) {
        if (precision != Precision.INT8 && calibrate != null) {
            throw new IllegalArgumentException("--calibrate is for --precision int8, not " + precision);
        }
    }

    /**
     * The checkpoint's network compiled in int8, calibrated on the images these options name; it lives as long as
     * {@code manager}.
     */
    Int8Model compile(CheckpointOption checkpoint, NDManager manager, PrintWriter err) throws IOException {
        Precision.INT8.requireSupport();
        if (images < 1 || images > MAX_IMAGES) {
            throw new IllegalArgumentException(
                    "--calibrate-images must be between 1 and " + MAX_IMAGES + ", got " + images);
        }
        Path file = checkpoint.resolve();
        String source = calibrate != null ? calibrate : trainedOn(file);
        TrainedModel model = checkpoint.load(manager, err);
        ImageDataset set = load(source, model.spec());
        Int8Calibration calibration = Int8Model.calibrate(model, set, images);
        err.printf(
                "densenet4j: int8 calibrated on %d image(s) of %s (min-max ranges)%n",
                calibration.images(), TerminalText.escape(source));
        err.flush();
        Int8Model int8 = Int8Model.compile(model, calibration);
        manager.attachInternal(java.util.UUID.randomUUID().toString(), int8);
        return int8;
    }

    /** The dataset a checkpoint records it was trained on. */
    private static String trainedOn(Path file) throws IOException {
        String dataset = TorchImport.isTorchFile(file) || TorchScriptArchive.isArchive(file)
                ? null
                : CheckpointArchive.dataset(file);
        if (dataset == null || dataset.startsWith("imported from")) {
            throw new IllegalArgumentException(file + " does not say which images it was trained on: give "
                    + "--calibrate DIR|DATASET for --precision int8");
        }
        return dataset;
    }

    /** A folder's images, prepared as the model prepares its input, or a named dataset's training split. */
    private ImageDataset load(String source, ModelSpec spec) throws IOException {
        Path dir = Path.of(source);
        if (!Files.isDirectory(dir)) {
            DatasetLocator locator = new DatasetLocator(
                    DatasetCatalog.official(), DatasetLocator.defaultUserRoot(), new Downloader(), true);
            return locator.load(source, null).asChannels(spec.channels()).train();
        }
        List<Path> files = ImageInputs.expand(List.of(dir));
        if (files.isEmpty()) {
            throw new IllegalArgumentException("--calibrate " + dir + " holds no JPEG or PNG image");
        }
        int n = Math.min(images, files.size());
        long bytes = (long) n * spec.channels() * spec.height() * spec.width();
        if (bytes > MAX_FOLDER_BYTES) {
            throw new IllegalArgumentException("--calibrate-images " + n + " of " + spec.channels() + "x"
                    + spec.height() + "x" + spec.width() + " take " + (bytes >> 20) + " MiB prepared; at most "
                    + (MAX_FOLDER_BYTES >> 20) + " MiB: calibrate on fewer images");
        }
        ImageConverter converter = spec.converter();
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        List<Path> read = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path f = files.get((int) ((long) i * files.size() / n));
            try {
                pixels.write(converter.toPixels(ImageFiles.read(f)));
                read.add(f);
            } catch (UnreadableImageException e) {
                // one unreadable image does not spoil a calibration; none readable is an error below
            }
        }
        if (read.isEmpty()) {
            throw new IllegalArgumentException("--calibrate " + dir + ": none of its images could be read");
        }
        return new InMemoryDataset(
                dir.toString(),
                spec.channels(),
                spec.height(),
                spec.width(),
                pixels.toByteArray(),
                new int[read.size()],
                spec.classNames());
    }
}
