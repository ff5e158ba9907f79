package org.densenet4j.zoo;

import ai.djl.Application;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.densenet4j.infer.DenseNetTranslator;
import org.densenet4j.infer.Explanation;
import org.densenet4j.infer.ExplanationTranslator;
import org.densenet4j.infer.FeaturesTranslator;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.FoldedDenseNet;
import org.densenet4j.model.Presets;
import org.densenet4j.pretrained.PretrainedEntry;
import org.densenet4j.pretrained.PretrainedWeights;
import org.densenet4j.script.Int8Model;
import org.densenet4j.script.ScriptedModel;
import org.densenet4j.script.TorchScriptArchive;
import org.densenet4j.torch.TorchLayout;

/**
 * Loads a densenet4j model as a DJL {@link ZooModel}, from criteria arguments:
 *
 * <ul>
 *   <li>{@code checkpoint}: a densenet4j checkpoint (without it, or with no arguments at all, the
 *       {@link BundledModel bundled Fashion-MNIST model} from the core jar);
 *   <li>or {@code weights} (a PyTorch .pth file) with {@code model} (the preset it holds) and optionally
 *       {@code layout} ({@code torchvision} or {@code pytorch-cifar}) and {@code classes};
 *   <li>or pretrained weights by name ({@link PretrainedWeights}, fetched into the cache and verified): {@code
 *       weights=imagenet} with {@code model=densenet121}, or the artifact id {@code densenet121} (the loader of each
 *       model the registry has weights for) with the filter {@code dataset=imagenet}.
 * </ul>
 *
 * <p>With output type {@code float[]}, a predictor answers an image's features (the pooled maps the classifier
 * sees). With output type {@link Explanation} instead of {@code Classifications}, a predictor answers the class
 * activation map of the class the argument {@code class} names ({@code top}, the default, a name or an index).
 *
 * <p>A file that is missing or unreadable fails with an {@link IOException} or
 * {@link MalformedModelException} whose message names the file and the reason (DJL passes these on as they
 * are; a {@link ModelNotFoundException} would be hidden behind DJL's generic "No model ... is found").
 */
public final class DenseNetModelLoader implements ModelLoader {

    /** The artifact id: {@code densenet}, or a model the registry has pretrained weights for. */
    private final String artifactId;

    /** The loader of every model file. */
    public DenseNetModelLoader() {
        this("densenet");
    }

    /** The loader of artifact {@code artifactId}: a model name such as {@code densenet121}. */
    DenseNetModelLoader(String artifactId) {
        this.artifactId = artifactId;
    }

    @Override
    public String getGroupId() {
        return DenseNetModelZoo.GROUP_ID;
    }

    @Override
    public String getArtifactId() {
        return artifactId;
    }

    @Override
    public Application getApplication() {
        return Application.CV.IMAGE_CLASSIFICATION;
    }

    @Override
    public MRL getMrl() {
        return MRL.model(
                Repository.newInstance("densenet4j", Path.of(".")),
                getApplication(),
                getGroupId(),
                getArtifactId(),
                "0.1.0",
                getArtifactId());
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        boolean explains = criteria.getOutputClass() == Explanation.class;
        boolean embeds = criteria.getOutputClass() == float[].class;
        if (criteria.getInputClass() != Image.class
                || (criteria.getOutputClass() != Classifications.class && !explains && !embeds)) {
            throw new ModelNotFoundException("densenet4j models map Image to Classifications, Explanation or float[] "
                    + "(features), not " + criteria.getInputClass() + " to " + criteria.getOutputClass());
        }
        Map<String, Object> arguments = pretrainedArguments(criteria);
        Path file = modelFile(arguments);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(
                    file.toString(),
                    null,
                    "densenet4j model file not found (" + (Files.exists(file) ? "not a regular file" : "no such file")
                            + ")");
        }
        Precision precision;
        try {
            precision = arguments.get("precision") == null
                    ? Precision.FP32
                    : Precision.parse(arguments.get("precision").toString());
            precision.requireSupport();
        } catch (IllegalArgumentException e) {
            throw new MalformedModelException(file + ": " + e.getMessage(), e);
        }
        if (precision == Precision.INT8) {
            return int8(file, arguments, explains, embeds);
        }
        TorchScriptArchive.Contents archive = TorchScriptArchive.readIfArchive(file);
        if (archive != null && archive.precision() == Precision.INT8) {
            throw new MalformedModelException(
                    file + " is an int8 TorchScript archive, not " + precision + ": load it with precision int8");
        }
        if (precision == Precision.BF16 || (archive != null && archive.precision() == Precision.BF16)) {
            return scripted(file, archive, arguments, precision, explains || embeds);
        }
        Model model = Model.newInstance(file.getFileName().toString(), "PyTorch");
        try {
            TrainedModel loaded = archive != null
                    ? ModelFiles.open(file, archive, options(arguments), model.getNDManager())
                    : ModelFiles.open(file, options(arguments), model.getNDManager(), w -> {});
            // A ZooModel only predicts: give it the folded inference network.
            FoldedDenseNet folded = FoldedDenseNet.of(loaded.network(), model.getNDManager());
            Translator<I, O> translator;
            if (embeds) {
                model.setBlock(new FeaturesBlock(loaded.network()));
                translator = (Translator<I, O>) new FeaturesTranslator(loaded.spec());
            } else if (explains) {
                model.setBlock(new ExplainingBlock(
                        folded::logitsAndClassActivationMaps,
                        loaded.spec().config().classes()));
                translator = (Translator<I, O>) explanations(
                        loaded.spec(), arguments, loaded.network().denseBlocks().size());
            } else {
                model.setBlock(folded);
                translator = (Translator<I, O>) new DenseNetTranslator(loaded.spec());
            }
            return new ZooModel<>(model, translator);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw malformed(file, e);
        }
    }

    /** Explanations of the target the criteria's argument {@code class} names (default: the top class). */
    private static ExplanationTranslator explanations(ModelSpec spec, Map<String, Object> arguments, int blocks) {
        Object target = arguments.get("class");
        return new ExplanationTranslator(spec, target == null ? "top" : target.toString(), blocks);
    }

    /** A failure to load {@code file}, as DJL's criteria report it, naming the file once. */
    private static MalformedModelException malformed(Path file, Exception e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        return new MalformedModelException(message.contains(file.toString()) ? message : file + ": " + message, e);
    }

    /**
     * A model run by densenet4j's int8 module ({@link Int8Model}): an int8 TorchScript archive, or a checkpoint, .pth
     * or fp32 archive with the calibration stored beside it (the zoo measures none: calibrate once with the command
     * line). It classifies, or explains by CAM on the int8 network; features come from the float32 network only.
     */
    @SuppressWarnings("unchecked")
    private static <I, O> ZooModel<I, O> int8(
            Path file, Map<String, Object> arguments, boolean explains, boolean embeds) throws MalformedModelException {
        if (embeds) {
            throw new MalformedModelException(file + ": features come from the float32 network; load the model "
                    + "in fp32 to embed (int8 classifies and explains)");
        }
        Model model = Model.newInstance(file.getFileName().toString(), "PyTorch");
        try {
            // attached to the zoo model's manager: closing the zoo model closes the module
            Int8Model int8 = ModelFiles.openInt8(file, options(arguments), null, model.getNDManager(), w -> {});
            Translator<I, O> translator;
            if (explains) {
                model.setBlock(new ExplainingBlock(
                        int8::logitsAndClassActivationMaps, int8.spec().config().classes()));
                translator = (Translator<I, O>) explanations(
                        int8.spec(), arguments, int8.spec().config().blockLayers().length);
            } else {
                model.setBlock(int8.inferenceBlock(model.getNDManager()));
                translator = (Translator<I, O>) new DenseNetTranslator(int8.spec());
            }
            return new ZooModel<>(model, translator);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw malformed(file, e);
        }
    }

    /**
     * A model run by libtorch as DJL's {@code PtSymbolBlock}: a bf16 TorchScript archive's weights, or a checkpoint,
     * .pth or fp32 archive, compiled by densenet4j for libtorch in bf16.
     */
    @SuppressWarnings("unchecked")
    private static <I, O> ZooModel<I, O> scripted(
            Path file,
            TorchScriptArchive.Contents archive,
            Map<String, Object> arguments,
            Precision precision,
            boolean explains)
            throws IOException, MalformedModelException {
        if (explains) {
            throw new MalformedModelException(file
                    + ": a TorchScript module holds no DenseNet to explain or embed; load the " + "checkpoint in fp32");
        }
        ScriptedModel scripted;
        if (archive != null && archive.precision() == Precision.BF16) {
            if (precision != Precision.BF16) {
                throw new MalformedModelException(
                        file + " is a " + archive.precision() + " TorchScript archive, not " + precision);
            }
            scripted = ScriptedModel.compile(archive);
        } else {
            try (NDManager manager = NDManager.newBaseManager()) {
                TrainedModel model = ModelFiles.open(file, options(arguments), manager, w -> {});
                scripted = ScriptedModel.compile(model, precision);
            } catch (IllegalArgumentException e) {
                throw new MalformedModelException(file + ": " + e.getMessage(), e);
            }
        }
        return new ZooModel<>(scripted.model(), (Translator<I, O>) new DenseNetTranslator(scripted.spec()));
    }

    /**
     * The criteria's arguments, with pretrained weights by name replaced by their verified local file: {@code
     * weights} naming registry weights, or this loader's model with the filter {@code dataset}. The argument {@code
     * pretrained} carries the registry entry on to {@link #options}.
     */
    private <I, O> Map<String, Object> pretrainedArguments(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException {
        Map<String, Object> arguments =
                new HashMap<>(criteria.getArguments() == null ? Map.of() : criteria.getArguments());
        Map<String, String> filters = criteria.getFilters() == null ? Map.of() : criteria.getFilters();
        boolean modelArtifact = !"densenet".equals(artifactId);
        if (modelArtifact) {
            arguments.putIfAbsent("model", artifactId);
        }
        Object weights = arguments.get("weights");
        String name = weights != null ? weights.toString() : modelArtifact ? filters.get("dataset") : null;
        if (modelArtifact && name == null) {
            throw new ModelNotFoundException(artifactId + " needs pretrained weights: the filter dataset=imagenet or "
                    + "the argument weights=imagenet (or a file)");
        }
        if (name == null || !PretrainedWeights.looksLikeName(name)) {
            return arguments;
        }
        PretrainedWeights pretrained = PretrainedWeights.fromEnvironment();
        if (!pretrained.isName(name)) {
            return arguments;
        }
        if (arguments.get("model") == null) {
            throw new ModelNotFoundException("weights=" + name + " needs the argument model (e.g. densenet121)");
        }
        PretrainedEntry entry;
        try {
            entry = pretrained.registry().find(arguments.get("model").toString(), name);
        } catch (IllegalArgumentException e) {
            throw new ModelNotFoundException(e.getMessage(), e);
        }
        try (DownloadProgress progress = DownloadProgress.of(criteria.getProgress(), entry.fileName())) {
            arguments.put("weights", pretrained.fetch(entry, progress).toString());
        }
        arguments.put("pretrained", entry);
        return arguments;
    }

    /** What a .pth needs besides the file: the arguments {@code model}, {@code classes} and {@code layout}. */
    private static ModelFiles.Options options(Map<String, Object> arguments) {
        if (arguments.get("pretrained") instanceof PretrainedEntry entry) {
            return ModelFiles.Options.of(entry, true);
        }
        Object preset = arguments.get("model");
        Object layout = arguments.get("layout");
        Object classes = arguments.get("classes");
        return new ModelFiles.Options(
                preset == null ? null : Presets.named(preset.toString()),
                classes == null ? null : Integer.valueOf(classes.toString()),
                layout == null ? null : TorchLayout.parse(layout.toString()),
                true);
    }

    /** The file the arguments name: {@code weights}, else {@code checkpoint}, else the bundled model. */
    private static Path modelFile(Map<String, Object> arguments) {
        Object given = arguments.containsKey("weights") ? arguments.get("weights") : arguments.get("checkpoint");
        return given != null ? Path.of(given.toString()) : BundledModel.path();
    }

    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
        return true; // local files only
    }

    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress) {
        // Checkpoints are local files: nothing to download.
    }

    @Override
    public String toString() {
        return getMrl().toString();
    }
}
