package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * The classifier: BN, ReLU, global average pooling, linear layer.
 *
 * <p>The blog code pools with a fixed 4x4 window, which on its 32x32 inputs is the same as global
 * pooling; global pooling also accepts every other input size.
 */
public final class Head extends AbstractBlock implements Stage {

    private final int features;
    private final int classes;
    private final BatchNorm norm;
    private final Linear classifier;
    /** The BN keeps its statistics in training too (a linear probe: only the classifier trains). */
    private boolean normFrozen;

    Head(int features, int classes) {
        super((byte) 1);
        this.features = features;
        this.classes = classes;
        this.norm = addChildBlock("norm5", Layers.batchNorm());
        this.classifier =
                addChildBlock("classifier", Linear.builder().setUnits(classes).build());
    }

    @Override
    public String stageName() {
        return "head";
    }

    public BatchNorm norm() {
        return norm;
    }

    public Linear classifier() {
        return classifier;
    }

    /** Fixes the BN's parameters and statistics, so that only the classifier trains ({@link Freeze#FEATURES}). */
    void freezeNorm() {
        norm.freezeParameters(true);
        normFrozen = true;
    }

    boolean normFrozen() {
        return normFrozen;
    }

    /** Width of the final feature vector (1024 for DenseNet-121). */
    public int features() {
        return features;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = rectify(ps, inputs, training, params);
        NDList logits = classify(ps, x, training, params);
        x.close();
        return logits;
    }

    /**
     * The final feature maps (N, C, h, w): the last block's output after BN and ReLU, what the classifier
     * pools. Class activation maps are made of these.
     */
    public NDArray rectify(
            ParameterStore ps, NDList lastBlockOutput, boolean training, PairList<String, Object> params) {
        return Layers.normRelu(norm, ps, lastBlockOutput, training && !normFrozen, params);
    }

    /** Global average pooling and the linear layer: logits (N, classes) from the final feature maps. */
    public NDList classify(ParameterStore ps, NDArray features, boolean training, PairList<String, Object> params) {
        NDArray pooled = Pool.globalAvgPool2d(features);
        NDArray flat = pooled.reshape(pooled.getShape().get(0), this.features);
        pooled.close();
        NDList logits = classifier.forward(ps, new NDList(flat), training, params);
        flat.close();
        return logits;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        norm.initialize(manager, dataType, inputShapes[0]);
        classifier.initialize(manager, dataType, new Shape(inputShapes[0].get(0), features));
    }

    @Override
    public StageCost cost(Shape input) {
        long maps = input.size();
        return StageCost.featureMap(2 * maps + features)
                .plus(new StageCost((long) features * classes, (long) classes * StageCost.FLOAT_BYTES));
    }

    @Override
    public List<NDArray> tensors() {
        return Layers.concat(
                Layers.normTensors(norm),
                List.of(
                        Folding.weight(classifier),
                        classifier.getParameters().get("bias").getArray()));
    }

    /** The names torchvision gives the head's {@link #tensors}: the last BN (norm5), then the classifier. */
    public static List<String> tensorNames() {
        return Layers.concat(Layers.normNames("norm5"), List.of("classifier.weight", "classifier.bias"));
    }

    /** This head for inference ({@link FoldedHead}). */
    FoldedHead fold(Folding f) {
        NDArray bias = classifier.getParameters().get("bias").getArray();
        return new FoldedHead(
                f.keep(FoldedNorm.preActivation(norm, Folding.weight(classifier), bias, f.scratch())), f.copy(bias));
    }
}
