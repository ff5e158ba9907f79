package org.densenet4j.train;

import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;

/**
 * Starting a run from pretrained weights (fine-tuning): every tensor of the pretrained network is copied into the
 * new one, except the classifier when the new data has other classes (another count, or other names: its rows
 * would mean the wrong classes); that one keeps its fresh initialisation. Everything else must match exactly, as
 * for an import.
 *
 * @param weights the pretrained model
 * @param refitNormalization compute the mean and std from the new training data; otherwise the run uses the
 *     pretrained model's, as its features were learnt with them
 */
public record PretrainedStart(TrainedModel weights, boolean refitNormalization) {

    /** What {@link #copyInto} did, for the run's log. */
    public record Report(int tensors, int pretrainedClasses, int classes, boolean classifierReinitialised) {

        /** For example "loaded 604 tensors; classifier re-initialised: 1000 -> 5 classes". */
        public String describe() {
            if (!classifierReinitialised) {
                return "loaded " + tensors + " tensors; classifier kept (the same " + classes + " classes)";
            }
            return "loaded " + tensors + " tensors; classifier re-initialised: " + pretrainedClasses + " -> " + classes
                    + " classes" + (pretrainedClasses == classes ? " (other class names)" : "");
        }
    }

    /**
     * The configuration a run from these weights trains: the pretrained network with {@code classes} outputs
     * and {@code dropRate}.
     */
    public DenseNetConfig configFor(int classes, float dropRate) {
        return weights.spec().config().toBuilder()
                .optClasses(classes)
                .optDropRate(dropRate)
                .build();
    }

    /**
     * Copies the pretrained tensors into {@code network}, an initialised network of {@link #configFor} (any
     * classes and dropout) for data of {@code classNames}; the classifier too when they are the pretrained ones.
     *
     * @throws IllegalArgumentException if the architectures differ anywhere but in the classifier's classes
     */
    public Report copyInto(DenseNet network, List<String> classNames) {
        DenseNetConfig from = weights.spec().config();
        DenseNetConfig expected = from.toBuilder()
                .optClasses(network.config().classes())
                .optDropRate(network.config().dropRate())
                .build();
        if (!expected.equals(network.config())) {
            throw new IllegalArgumentException(
                    "the pretrained weights hold " + weights.spec().modelName() + " (" + from.describe() + "), not "
                            + network.config().describe());
        }
        boolean newClassifier = !weights.spec().classNames().equals(classNames);
        Map<String, Parameter> pretrained = new HashMap<>();
        for (Pair<String, Parameter> p : weights.network().getParameters()) {
            pretrained.put(p.getKey(), p.getValue());
        }
        Parameter classifierWeight = network.head().classifier().getParameters().get("weight");
        Parameter classifierBias = network.head().classifier().getParameters().get("bias");
        int copied = 0;
        for (Pair<String, Parameter> p : network.getParameters()) {
            Parameter target = p.getValue();
            if (newClassifier && (target == classifierWeight || target == classifierBias)) {
                continue;
            }
            Parameter source = pretrained.get(p.getKey());
            if (source == null
                    || !source.getArray().getShape().equals(target.getArray().getShape())) {
                throw new IllegalArgumentException("the pretrained weights have no tensor " + p.getKey() + " of shape "
                        + target.getArray().getShape() + " (found "
                        + (source == null
                                ? "none"
                                : source.getArray().getShape().toString()) + ")");
            }
            source.getArray().copyTo(target.getArray());
            copied++;
        }
        return new Report(copied, from.classes(), network.config().classes(), newClassifier);
    }
}
