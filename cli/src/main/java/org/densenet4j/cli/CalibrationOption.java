package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.densenet4j.base.MissingSettingException;
import org.densenet4j.base.Setting;
import org.densenet4j.base.TerminalText;
import org.densenet4j.data.DatasetCatalog;
import org.densenet4j.data.DatasetLocator;
import org.densenet4j.data.Downloader;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.data.InMemoryDataset;
import org.densenet4j.data.SubsetDataset;
import org.densenet4j.data.UnreadableImageException;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.CheckpointArchive;
import org.densenet4j.io.Int8CalibrationFile;
import org.densenet4j.io.ModelDigest;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.script.Int8Calibration;
import org.densenet4j.script.Int8Model;
import org.densenet4j.script.Int8Source;
import org.densenet4j.script.TorchScriptArchive;
import org.densenet4j.torch.TorchImport;
import picocli.CommandLine.Option;

/**
 * {@code --calibrate DIR|DATASET [--calibrate-images N]}: the images an int8 model's activation ranges are measured
 * on (post-training quantization), for every verb that runs a model in int8.
 *
 * <p>A model is calibrated once: the ranges are stored beside the model file ({@link Int8CalibrationFile}) and later
 * runs use them. Without these options a run uses the stored calibration if it was measured on the model's present
 * weights, else measures one on a few hundred images of the training set the model records (and stores it). The
 * bundled model ships with its calibration, which is never replaced.
 */
public final class CalibrationOption {

    /** The most calibration images ({@link Int8Model#MAX_CALIBRATION_IMAGES}). */
    static final int MAX_IMAGES = Int8Model.MAX_CALIBRATION_IMAGES;

    /** The most memory a folder's prepared calibration images may take. */
    static final long MAX_FOLDER_BYTES = 512L << 20;

    @Option(
            names = "--calibrate",
            paramLabel = "DIR|DATASET",
            description = "int8 only: calibrate (again) on these images, a folder of images (searched recursively) or "
                    + "a dataset name (its training split), and store the calibration beside the model as "
                    + "FILE.int8.json (default: the stored calibration, else the training set the checkpoint "
                    + "records).")
    String calibrate;

    @Option(
            names = "--calibrate-images",
            paramLabel = "N",
            description = "int8 only: how many images to calibrate on, spread evenly over a folder, the first of a "
                    + "dataset (default: "
                    + Int8Model.DEFAULT_CALIBRATION_IMAGES + ", at most " + MAX_IMAGES + "); without --calibrate it "
                    + "calibrates again on the training set.")
    Integer images;

    /** Refuses the calibration options where the precision is not int8: they would do nothing. */
    public void checkUsedWith(Precision precision) {
        if (precision != Precision.INT8 && (calibrate != null || images != null)) {
            throw new IllegalArgumentException((calibrate != null ? "--calibrate" : "--calibrate-images")
                    + " is for --precision int8, not " + precision);
        }
    }

    /**
     * The checkpoint's model for inference in {@code precision}: in int8 compiled with its calibration ({@link
     * #compile}), else loaded as that precision runs; the calibration options are refused for other precisions.
     * It lives as long as {@code manager}.
     */
    InferenceModel open(CheckpointOption checkpoint, Precision precision, NDManager manager, PrintWriter err)
            throws IOException {
        return open(checkpoint, precision, null, true, manager, err);
    }

    /**
     * As {@link #open(CheckpointOption, Precision, NDManager, PrintWriter)}, an int8 calibration looking for a named
     * dataset in {@code dataDir} first and downloading it only if {@code download}.
     */
    InferenceModel open(
            CheckpointOption checkpoint,
            Precision precision,
            Path dataDir,
            boolean download,
            NDManager manager,
            PrintWriter err)
            throws IOException {
        checkUsedWith(precision);
        return precision == Precision.INT8
                ? compile(checkpoint, dataDir, download, manager, err)
                : checkpoint.loadForInference(precision, manager, err);
    }

    /**
     * The checkpoint's network compiled in int8 with its calibration ({@link #resolve}); it lives as long as {@code
     * manager}.
     */
    Int8Model compile(CheckpointOption checkpoint, NDManager manager, PrintWriter err) throws IOException {
        return compile(checkpoint, null, true, manager, err);
    }

    /**
     * As {@link #compile(CheckpointOption, NDManager, PrintWriter)}, looking for a named dataset in {@code dataDir}
     * first and downloading it only if {@code download}.
     */
    Int8Model compile(CheckpointOption checkpoint, Path dataDir, boolean download, NDManager manager, PrintWriter err)
            throws IOException {
        Precision.INT8.requireSupport();
        int count = count();
        Path file = checkpoint.resolve();
        Int8Model int8;
        // An archive is opened once: to learn its precision, then to read it.
        try (TorchScriptArchive.Opened archive = TorchScriptArchive.openIfArchive(file)) {
            if (isInt8(file, archive)) {
                int8 = Int8Model.compile(archive.read());
            } else {
                TrainedModel model = load(checkpoint, file, archive, manager, err);
                // folded once, for the calibration (if one is measured) and the int8 module
                Int8Source source = Int8Source.of(model);
                Int8CalibrationFile.Stored calibration =
                        resolve(checkpoint, model, source, count, dataDir, download, err);
                int8 = Int8Model.compile(source, calibration.calibration());
            }
            // closed with the manager, whatever follows
            manager.attachInternal(java.util.UUID.randomUUID().toString(), int8);
        }
        return int8;
    }

    /**
     * The calibration of {@code model}, the checkpoint's, resolved as {@link #compile} does (for export, which writes
     * it into an int8 archive or ONNX). It needs no int8 kernels here: the float32 network measures the ranges, and the
     * file written runs elsewhere.
     */
    Int8CalibrationFile.Stored resolve(
            CheckpointOption checkpoint, TrainedModel model, Int8Source source, PrintWriter err) throws IOException {
        return resolve(checkpoint, model, source, count(), null, true, err);
    }

    /**
     * True if {@code archive}, {@code file} opened (null if it is not a TorchScript archive), is an int8 archive,
     * which holds its calibration: then the calibration options are refused, having nothing to calibrate.
     */
    private boolean isInt8(Path file, TorchScriptArchive.Opened archive) {
        if (archive == null || archive.precision() != Precision.INT8) {
            return false;
        }
        if (calibrate != null || images != null) {
            throw new IllegalArgumentException(file + " is an int8 TorchScript archive: it holds the calibration it "
                    + "was exported with; calibrate the checkpoint it came from instead");
        }
        return true;
    }

    /**
     * The calibration of the checkpoint's model, for a run elsewhere (Spark's executors): resolved as {@link
     * #compile} does, on a model opened here for the purpose; null for an int8 archive, which holds its own.
     */
    public Int8CalibrationFile.Stored resolve(
            CheckpointOption checkpoint, Path dataDir, boolean download, PrintWriter err) throws IOException {
        Precision.INT8.requireSupport();
        int count = count();
        Path file = checkpoint.resolve();
        try (TorchScriptArchive.Opened archive = TorchScriptArchive.openIfArchive(file);
                NDManager manager = NDManager.newBaseManager()) {
            if (isInt8(file, archive)) {
                return null;
            }
            TrainedModel model = load(checkpoint, file, archive, manager, err);
            return resolve(checkpoint, model, Int8Source.of(model), count, dataDir, download, err);
        }
    }

    /** The checkpoint's model; a TorchScript archive already open ({@code archive}, else null) is read from it. */
    private static TrainedModel load(
            CheckpointOption checkpoint,
            Path file,
            TorchScriptArchive.Opened archive,
            NDManager manager,
            PrintWriter err)
            throws IOException {
        return archive != null
                ? ModelFiles.open(file, archive.read(), checkpoint.options(), manager)
                : checkpoint.load(manager, err);
    }

    private int count() {
        int n = images == null ? Int8Model.DEFAULT_CALIBRATION_IMAGES : images;
        if (n < 1 || n > MAX_IMAGES) {
            throw new IllegalArgumentException("--calibrate-images must be between 1 and " + MAX_IMAGES + ", got " + n);
        }
        return n;
    }

    /**
     * The calibration to use: measured on --calibrate's images when given; else the stored one if it was measured on
     * these weights; else measured on the training set the model records. A calibration measured here is stored
     * beside the model (not beside the bundled one, which keeps the calibration it ships with). The model is hashed
     * ({@link ModelDigest}) once, and {@code int8}, the model on its way to int8, folded only if a calibration is
     * measured.
     */
    private Int8CalibrationFile.Stored resolve(
            CheckpointOption checkpoint,
            TrainedModel model,
            Int8Source int8,
            int count,
            Path dataDir,
            boolean download,
            PrintWriter err)
            throws IOException {
        Path file = checkpoint.resolve();
        Path storedIn = Int8CalibrationFile.of(file);
        String stale = null;
        String digest = null;
        if (calibrate == null && images == null) {
            Int8CalibrationFile.Stored stored =
                    Int8CalibrationFile.read(file, model.spec().config());
            if (stored != null) {
                digest = ModelDigest.of(model);
                if (stored.fits(digest)) {
                    note(err, "int8 calibration from " + storedIn + " (" + stored.describe() + ")");
                    return stored;
                }
                stale = ModelFiles.staleMessage(file, true);
            }
        }
        String source;
        if (calibrate != null) {
            source = calibrate;
        } else {
            String recorded = trainedOn(file);
            if (recorded == null) {
                throw new MissingSettingException(
                        Setting.CALIBRATION,
                        stale != null
                                ? stale
                                : file + " has no int8 calibration (" + storedIn + ") and does not say which images "
                                        + "it was trained on: calibrate it once on images of its kind");
            }
            if (stale != null) {
                note(
                        err,
                        "the int8 calibration stored in " + storedIn + " was measured on other weights: "
                                + "calibrating again on the training set");
            }
            source = trainingImages(recorded);
        }
        ImageDataset set;
        try {
            set = load(source, model.spec(), count, dataDir, download);
        } catch (IOException e) {
            throw calibrate != null
                    ? e
                    : new IOException(
                            e.getMessage() + " (int8 calibrates on the training set " + file
                                    + " records; give --calibrate DIR|DATASET for other images)",
                            e);
        }
        Int8Calibration calibration = Int8Model.calibrate(int8, set, count);
        note(
                err,
                String.format(
                        "int8 calibrated on %d image(s) of %s (%s ranges)",
                        calibration.images(), source, Int8Calibration.METHOD));
        Int8CalibrationFile.Stored measured =
                new Int8CalibrationFile.Stored(calibration, digest != null ? digest : ModelDigest.of(model), source);
        store(checkpoint.isBundled(), file, measured, err);
        return measured;
    }

    /** Stores a calibration just measured beside the model; a folder that cannot take it costs a note, not the run. */
    private static void store(boolean bundled, Path file, Int8CalibrationFile.Stored measured, PrintWriter err) {
        if (bundled) {
            note(
                    err,
                    "not stored: the bundled model keeps the calibration it ships with (copy the model elsewhere "
                            + "to keep your own)");
            return;
        }
        try {
            Int8CalibrationFile.write(file, measured);
            note(
                    err,
                    "int8 calibration stored in " + Int8CalibrationFile.of(file)
                            + "; later runs with --precision int8 use it");
        } catch (IOException e) {
            note(err, "could not store the int8 calibration (" + e.getMessage() + "); later runs calibrate again");
        }
    }

    private static void note(PrintWriter err, String message) {
        err.println("densenet4j: " + TerminalText.escape(message));
        err.flush();
    }

    /** The dataset a checkpoint records it was trained on, or null if it does not say. */
    private static String trainedOn(Path file) throws IOException {
        String dataset = TorchImport.isTorchFile(file) || TorchScriptArchive.isArchive(file)
                ? null
                : CheckpointArchive.dataset(file);
        return dataset == null || dataset.startsWith("imported from") ? null : dataset;
    }

    /**
     * The images a recorded training set calibrates on: a class folder's {@code train/} when it has one (its
     * {@code test/} is what eval scores on), else the folder or the named dataset as recorded.
     */
    private static String trainingImages(String recorded) {
        Path train = Path.of(recorded).resolve("train");
        return Files.isDirectory(Path.of(recorded)) && Files.isDirectory(train) ? train.toString() : recorded;
    }

    /** A folder's images, prepared as the model prepares its input, or a named dataset's training split. */
    private static ImageDataset load(String source, ModelSpec spec, int images, Path dataDir, boolean download)
            throws IOException {
        Path dir = Path.of(source);
        if (!Files.isDirectory(dir)) {
            DatasetLocator locator = new DatasetLocator(
                    DatasetCatalog.official(), DatasetLocator.defaultUserRoot(), new Downloader(), download);
            // only the images calibration takes (and one test image: a split needs one)
            return locator.load(source, dataDir, images, 1)
                    .asChannels(spec.channels())
                    .train();
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
        // Exactly the bytes n prepared images take, filled in place: never more than the cap above.
        int size = spec.channels() * spec.height() * spec.width();
        byte[] pixels = new byte[(int) bytes];
        int read = 0;
        for (int i = 0; i < n; i++) {
            Path f = files.get((int) ((long) i * files.size() / n));
            try {
                byte[] image = converter.toPixels(ImageFiles.read(f));
                System.arraycopy(image, 0, pixels, read * size, size);
                read++;
            } catch (UnreadableImageException e) {
                // one unreadable image does not spoil a calibration; none readable is an error below
            }
        }
        if (read == 0) {
            throw new IllegalArgumentException("--calibrate " + dir + ": none of its images could be read");
        }
        InMemoryDataset all = new InMemoryDataset(
                dir.toString(), spec.channels(), spec.height(), spec.width(), pixels, new int[n], spec.classNames());
        // the images read, without copying the buffer when some could not be
        return read == n
                ? all
                : new SubsetDataset(
                        all, java.util.stream.IntStream.range(0, read).toArray());
    }
}
