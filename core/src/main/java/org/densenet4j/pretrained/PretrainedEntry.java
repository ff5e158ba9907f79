package org.densenet4j.pretrained;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import org.densenet4j.data.Normalization;
import org.densenet4j.data.ResizeAndCrop;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.Preset;
import org.densenet4j.torch.TorchLayout;

/**
 * One set of pretrained weights in the {@link PretrainedRegistry}: where to get the file, how to check it, and what
 * the model it holds expects and answers.
 *
 * @param preset the network the file holds
 * @param name the weights' name for that network, e.g. {@code imagenet}
 * @param url where the file is published; its last path segment is the file name, as torch.hub names it
 * @param sha256 the file's SHA-256 in lower-case hex, whole or a prefix (torchvision's file names carry 8 digits):
 *     a file is accepted when its digest starts with it, as {@code torch.hub} checks
 * @param layout the file's key names
 * @param classes the class names, in the classifier's order
 * @param classesName how the registry named the classes ("imagenet-1k", or null for a list)
 * @param preprocessing the resize and center crop the weights were evaluated with
 * @param normalization the mean and std the weights were trained with
 * @param source where the facts come from, e.g. "torchvision 0.14.1 DenseNet121_Weights.IMAGENET1K_V1", or null
 * @param top1 the reported top-1 accuracy in percent, or null
 * @param top5 the reported top-5 accuracy in percent, or null
 * @param parameters the reported parameter count, or null
 */
public record PretrainedEntry(
        Preset preset,
        String name,
        URI url,
        String sha256,
        TorchLayout layout,
        List<String> classes,
        String classesName,
        ResizeAndCrop preprocessing,
        Normalization normalization,
        String source,
        Double top1,
        Double top5,
        Long parameters) {

    public PretrainedEntry {
        classes = List.copyOf(classes);
        sha256 = sha256.toLowerCase(Locale.ROOT);
    }

    /** The weights' full name, {@code model:name}, e.g. {@code densenet121:imagenet}. */
    public String key() {
        return preset.name() + ":" + name;
    }

    /** The file name at the end of the URL, the name the file has in every cache. */
    public String fileName() {
        String path = url.getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /**
     * The model card line: for example "densenet121:imagenet (torchvision 0.14.1 DenseNet121_Weights.IMAGENET1K_V1):
     * 1000 classes (imagenet-1k), Resize(256) + CenterCrop(224); reported ImageNet top-1 74.434%, top-5 91.972%".
     */
    public String card() {
        StringBuilder b = new StringBuilder(key());
        if (source != null) {
            b.append(" (").append(source).append(")");
        }
        b.append(": ").append(classes.size()).append(" classes");
        if (classesName != null) {
            b.append(" (").append(classesName).append(")");
        }
        b.append(", Resize(")
                .append(preprocessing.resize())
                .append(") + CenterCrop(")
                .append(preprocessing.crop())
                .append(")");
        if (top1 != null || top5 != null) {
            b.append("; reported accuracy");
            if (top1 != null) {
                b.append(String.format(Locale.ROOT, " top-1 %.3f%%", top1));
            }
            if (top5 != null) {
                b.append(String.format(Locale.ROOT, "%s top-5 %.3f%%", top1 != null ? "," : "", top5));
            }
        }
        return b.toString();
    }

    /**
     * The model an import of the file gave, described as these weights are: their class names, input size,
     * resize and crop, and normalisation.
     *
     * @throws IllegalArgumentException if the file's classifier has another class count than the names
     */
    public TrainedModel describe(TrainedModel imported) {
        ModelSpec spec = imported.spec();
        if (spec.config().classes() != classes.size()) {
            throw new IllegalArgumentException(key() + ": the file's classifier has "
                    + spec.config().classes() + " classes but the registry names " + classes.size());
        }
        return new TrainedModel(
                new ModelSpec(
                        spec.modelName(),
                        spec.config(),
                        preprocessing.crop(),
                        preprocessing.crop(),
                        classes,
                        spec.channels() == normalization.channels() ? normalization : spec.normalization(),
                        preprocessing),
                imported.network());
    }
}
