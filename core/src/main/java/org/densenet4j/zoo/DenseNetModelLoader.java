package org.densenet4j.zoo;

import ai.djl.Application;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
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
import java.nio.file.Path;
import java.util.Map;
import org.densenet4j.infer.DenseNetTranslator;
import org.densenet4j.io.TorchImport;
import org.densenet4j.io.TorchLayout;
import org.densenet4j.model.FoldedDenseNet;
import org.densenet4j.model.Presets;
import org.densenet4j.train.CheckpointFile;

/**
 * Loads a densenet4j model as a DJL {@link ZooModel}, from criteria arguments:
 *
 * <ul>
 *   <li>{@code checkpoint}: a densenet4j checkpoint (without it, the bundled Fashion-MNIST model);
 *   <li>or {@code weights} (a PyTorch .pth file) with {@code model} (the preset it holds) and optionally
 *       {@code layout} ({@code torchvision} or {@code pytorch-cifar}) and {@code classes}.
 * </ul>
 */
public final class DenseNetModelLoader implements ModelLoader {

    /** The model shipped in the repository, relative to the installation. */
    public static final String BUNDLED = "models/fashion-mnist/densenet-bc-40-12.d4j";

    /** The bundled model's path: under {@code densenet4j.home} (set by the launcher), else the working folder. */
    public static Path bundledModel() {
        return Path.of(System.getProperty("densenet4j.home", ".")).resolve(BUNDLED);
    }

    @Override
    public String getGroupId() {
        return DenseNetModelZoo.GROUP_ID;
    }

    @Override
    public String getArtifactId() {
        return "densenet";
    }

    @Override
    public Application getApplication() {
        return Application.CV.IMAGE_CLASSIFICATION;
    }

    @Override
    public MRL getMrl() {
        return MRL.model(Repository.newInstance("densenet4j", Path.of(".")), getApplication(), getGroupId(),
                getArtifactId(), "0.1.0", getArtifactId());
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        if (criteria.getInputClass() != Image.class || criteria.getOutputClass() != Classifications.class) {
            throw new ModelNotFoundException("densenet4j models map Image to Classifications, not "
                    + criteria.getInputClass() + " to " + criteria.getOutputClass());
        }
        Map<String, Object> arguments = criteria.getArguments();
        Path file = arguments.containsKey("weights") ? Path.of(arguments.get("weights").toString())
                : checkpoint(arguments);
        if (!Files.isRegularFile(file)) {
            throw new ModelNotFoundException("densenet4j model file not found: " + file);
        }
        Model model = Model.newInstance(file.getFileName().toString(), "PyTorch");
        try {
            CheckpointFile.Loaded loaded = TorchImport.isTorchFile(file)
                    ? torchModel(file, arguments, model)
                    : CheckpointFile.read(file, model.getNDManager());
            // A ZooModel only predicts: give it the folded inference network.
            model.setBlock(FoldedDenseNet.of(loaded.network(), model.getNDManager()));
            Translator<I, O> translator = (Translator<I, O>) new DenseNetTranslator(loaded.checkpoint().spec());
            return new ZooModel<>(model, translator);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw new MalformedModelException(e.getMessage(), e);
        }
    }

    private static CheckpointFile.Loaded torchModel(Path file, Map<String, Object> arguments, Model model)
            throws IOException {
        Object preset = arguments.get("model");
        if (preset == null) {
            throw new IllegalArgumentException(file + " is a PyTorch file: add the criteria argument 'model' "
                    + "(a preset name such as densenet121) and, if needed, 'layout'");
        }
        Object layout = arguments.get("layout");
        Object classes = arguments.get("classes");
        return TorchImport.load(file, Presets.named(preset.toString()),
                classes == null ? null : Integer.valueOf(classes.toString()),
                layout == null ? null : TorchLayout.parse(layout.toString()), true, model.getNDManager(), w -> { });
    }

    private static Path checkpoint(Map<String, Object> arguments) {
        Object given = arguments.get("checkpoint");
        if (given != null) {
            return Path.of(given.toString());
        }
        return bundledModel();
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
