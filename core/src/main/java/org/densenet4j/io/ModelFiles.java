package org.densenet4j.io;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.densenet4j.base.MissingSettingException;
import org.densenet4j.base.Setting;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.Preset;
import org.densenet4j.pretrained.PretrainedEntry;
import org.densenet4j.script.Int8Model;
import org.densenet4j.script.Int8Source;
import org.densenet4j.script.ScriptedModel;
import org.densenet4j.script.TorchScriptArchive;
import org.densenet4j.torch.TorchFileReader;
import org.densenet4j.torch.TorchImport;
import org.densenet4j.torch.TorchLayout;

/**
 * The one way to open a trained model from a path, for every verb, the DJL zoo and Spark: a densenet4j
 * checkpoint, or a PyTorch file together with the preset it holds.
 */
public final class ModelFiles {

    private ModelFiles() {}

    /**
     * What a file alone does not say.
     *
     * @param preset the preset a .pth holds (required for one); checked against a checkpoint when given
     * @param classes a .pth's class count (default: its classifier's rows)
     * @param layout a .pth's key names (default: by preset family)
     * @param strict refuse a .pth whose keys or values do not fit (otherwise report them and load what fits)
     * @param pretrained the registry entry a .pth was fetched for, which names its classes and preprocessing; or null
     */
    public record Options(
            Preset preset, Integer classes, TorchLayout layout, boolean strict, PretrainedEntry pretrained) {

        /** Options for a file of no registry entry. */
        public Options(Preset preset, Integer classes, TorchLayout layout, boolean strict) {
            this(preset, classes, layout, strict, null);
        }

        /** For the file of pretrained weights {@code entry}. */
        public static Options of(PretrainedEntry entry, boolean strict) {
            return new Options(entry.preset(), entry.classes().size(), entry.layout(), strict, entry);
        }

        /** For checkpoints, which describe themselves. */
        public static Options none() {
            return new Options(null, null, null, true);
        }
    }

    /**
     * Opens a model for inference: as {@link #open(Path, Options, NDManager, Consumer)} does, but a bfloat16
     * TorchScript archive too, which runs as densenet4j's own bfloat16 module compiled from its weights ({@link
     * ScriptedModel}; it lives as long as {@code manager}).
     */
    public static InferenceModel openForInference(
            Path file, Options options, NDManager manager, Consumer<String> warnings) throws IOException {
        TorchScriptArchive.Contents contents = TorchScriptArchive.readIfArchive(file);
        if (contents != null) {
            return switch (contents.precision()) {
                case FP32 -> contents.toTrainedModel(manager);
                case BF16 -> attach(ScriptedModel.compile(contents), manager);
                case INT8 -> attach(Int8Model.compile(contents), manager);
            };
        }
        return open(file, options, manager, warnings);
    }

    /**
     * As {@link #openForInference(Path, Options, NDManager, Consumer)}, computing in {@code precision}: a model asked
     * for in bf16 is compiled for libtorch as a bfloat16 TorchScript module ({@link ScriptedModel#compile}); a bf16
     * archive cannot compute in fp32 (it holds the folded network in bfloat16 only); int8 runs with the model's stored
     * calibration ({@link #openInt8}).
     *
     * @throws IllegalArgumentException if this CPU has no bfloat16, or a bf16 archive is asked for in fp32
     */
    public static InferenceModel openForInference(
            Path file, Options options, Precision precision, NDManager manager, Consumer<String> warnings)
            throws IOException {
        if (precision == Precision.INT8) {
            return openInt8(file, options, null, manager, warnings);
        }
        precision.requireSupport();
        InferenceModel model = openForInference(file, options, manager, warnings);
        if (model instanceof ScriptedModel scripted) {
            if (scripted.precision() != precision) {
                throw new IllegalArgumentException(file + " is a " + scripted.precision() + " TorchScript archive, not "
                        + precision + "; export the checkpoint again in " + precision);
            }
            return scripted;
        }
        if (model instanceof Int8Model) {
            throw new MissingSettingException(
                    Setting.PRECISION, file + " is an int8 TorchScript archive, not " + precision + ": run it in int8");
        }
        if (precision == Precision.FP32) {
            return model;
        }
        return attach(ScriptedModel.compile((TrainedModel) model, precision), manager);
    }

    /**
     * Opens a model compiled in int8 ({@link Int8Model}) with {@code calibration} (the JSON text of a {@link
     * Int8CalibrationFile.Stored}, e.g. shipped to Spark's executors), or when it is null with the calibration stored
     * beside the file ({@link Int8CalibrationFile}); an int8 TorchScript archive holds its own. It lives as long as
     * {@code manager}.
     *
     * @throws IllegalArgumentException if the model has no calibration or its calibration is stale (made for other
     *     weights), saying how to calibrate; or if this CPU cannot run int8
     */
    public static Int8Model openInt8(
            Path file, Options options, String calibration, NDManager manager, Consumer<String> warnings)
            throws IOException {
        Precision.INT8.requireSupport();
        TrainedModel model;
        try (TorchScriptArchive.Opened archive = TorchScriptArchive.openIfArchive(file)) {
            if (archive != null && archive.precision() == Precision.INT8) {
                if (calibration != null) {
                    throw new IllegalArgumentException(file + " is an int8 TorchScript archive: it holds the "
                            + "calibration it was exported with, and takes no other");
                }
                return attach(Int8Model.compile(archive.read()), manager);
            }
            model = archive != null
                    ? open(file, archive.read(), options, manager)
                    : open(file, options, manager, warnings);
        }
        Int8CalibrationFile.Stored stored = calibration != null
                ? Int8CalibrationFile.fromJson(calibration, model.spec().config())
                : Int8CalibrationFile.read(file, model.spec().config());
        if (stored == null) {
            throw new MissingSettingException(
                    Setting.CALIBRATION,
                    file + " has no int8 calibration (" + Int8CalibrationFile.of(file) + "): calibrate it once on "
                            + "images of its kind, which stores the calibration there");
        }
        if (!stored.fits(ModelDigest.of(model))) {
            throw new MissingSettingException(Setting.CALIBRATION, staleMessage(file, calibration == null));
        }
        return attach(Int8Model.compile(Int8Source.of(model), stored.calibration()), manager);
    }

    /** Why a calibration is not used: it was measured on other weights than {@code file} holds now. */
    public static String staleMessage(Path file, boolean stored) {
        return (stored
                        ? "the int8 calibration stored in " + Int8CalibrationFile.of(file)
                        : "the int8 calibration given")
                + " was measured on other weights than " + file + " holds (the model changed since): calibrate "
                + "again on images of its kind";
    }

    private static <T extends AutoCloseable> T attach(T model, NDManager manager) {
        manager.attachInternal(java.util.UUID.randomUUID().toString(), model);
        return model;
    }

    /** Opens a densenet4j checkpoint (or any file that describes itself) on {@code manager}. */
    public static TrainedModel open(Path file, NDManager manager) throws IOException {
        return open(file, Options.none(), manager, warning -> {});
    }

    /**
     * Opens {@code file} on {@code manager}; problems a non-strict import lets through go to {@code warnings}.
     *
     * @throws IOException naming the file and what is wrong with it
     * @throws IllegalArgumentException if a .pth comes without its preset, or a checkpoint holds another one
     */
    public static TrainedModel open(Path file, Options options, NDManager manager, Consumer<String> warnings)
            throws IOException {
        TorchScriptArchive.Contents contents = TorchScriptArchive.readIfArchive(file);
        if (contents != null) {
            return open(file, contents, options, manager);
        }
        if (TorchImport.isTorchFile(file)) {
            if (options.preset() == null) {
                requireZip(file); // a damaged archive says so before it is asked what it holds
                throw new MissingSettingException(
                        Setting.MODEL,
                        file + " is a PyTorch file: say which network it holds (its preset "
                                + "name) and, if needed, its layout");
            }
            TrainedModel model = TorchImport.load(
                    file, options.preset(), options.classes(), options.layout(), options.strict(), manager, warnings);
            return options.pretrained() == null ? model : options.pretrained().describe(model);
        }
        return checkPreset(file, options, CheckpointArchive.read(file, manager));
    }

    /**
     * The DenseNet a float32 archive already read holds (for callers that read it to learn its precision).
     *
     * @throws IllegalArgumentException for a bf16 archive, or one that holds another preset than the options name
     */
    public static TrainedModel open(
            Path file, TorchScriptArchive.Contents contents, Options options, NDManager manager) {
        if (contents.precision() != Precision.FP32) {
            throw new IllegalArgumentException(file + " is " + (contents.precision() == Precision.INT8 ? "an " : "a ")
                    + contents.precision() + " TorchScript archive: it runs (predict, eval, serve, the zoo"
                    + (contents.precision() == Precision.INT8 ? ", explain's CAM, in int8" : "")
                    + ") but holds the folded network only, nothing to train, explain or export; use the checkpoint "
                    + "it was exported from, or an fp32 archive");
        }
        return checkPreset(file, options, contents.toTrainedModel(manager));
    }

    /** PyTorch files and TorchScript archives are zips: anything else is damaged, whatever else is asked. */
    private static void requireZip(Path file) throws IOException {
        try (java.util.zip.ZipFile zip = TorchFileReader.openZip(file)) {
            // readable
        }
    }

    private static TrainedModel checkPreset(Path file, Options options, TrainedModel model) {
        if (options.preset() != null
                && !options.preset().name().equals(model.spec().modelName())) {
            throw new IllegalArgumentException(file + " holds " + model.spec().modelName() + ", not "
                    + options.preset().name());
        }
        return model;
    }
}
