package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.initializer.XavierInitializer.FactorType;
import ai.djl.training.initializer.XavierInitializer.RandomType;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A DenseNet assembled from a {@link DenseNetConfig}: stem, dense blocks separated by transitions,
 * head. It takes NCHW float32 images and returns class logits.
 *
 * <pre>{@code
 * DenseNet net = DenseNet.preset("densenet-bc-100-12", 10);
 * net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 32, 32));
 * }</pre>
 */
public final class DenseNet extends AbstractBlock {

    /** Every batch normalisation's epsilon, PyTorch's default; exporters write it with the BN nodes. */
    public static final float BN_EPSILON = Layers.BN_EPSILON;

    private final DenseNetConfig config;
    private final List<Stage> stages = new ArrayList<>();
    private final Stem stem;
    private final List<DenseBlock> blocks = new ArrayList<>();
    private final List<Transition> transitions = new ArrayList<>();
    private final Head head;
    private MemoryFormat memoryFormat = MemoryFormat.CHANNELS_LAST;
    /** Stages fine-tuning keeps fixed: they run in eval mode even in training ({@link #freeze}). */
    private final List<Stage> frozen = new ArrayList<>();

    private Freeze freeze = Freeze.NONE;

    /** Assembles the network; all channel arithmetic lives in this one loop. */
    public DenseNet(DenseNetConfig config) {
        super((byte) 1);
        this.config = config;
        this.stem = addStage(new Stem(config.stem(), config.inputChannels(), config.stemWidth()));
        int channels = config.stemWidth();
        int[] layers = config.blockLayers();
        for (int i = 0; i < layers.length; i++) {
            DenseBlock block = addStage(new DenseBlock("denseblock" + (i + 1), channels, layers[i], config));
            blocks.add(block);
            channels = block.outputChannels();
            if (i < layers.length - 1) {
                int compressed = config.transitionWidth(channels);
                transitions.add(
                        addStage(new Transition("transition" + (i + 1), channels, compressed, config.dropRate())));
                channels = compressed;
            }
        }
        this.head = addStage(new Head(channels, config.classes()));
        // torchvision's initialisation: He-normal (fan-in) convolutions; BN gamma 1 and beta 0 and
        // biases 0 are DJL's defaults; the linear weight keeps PyTorch's U(-1/sqrt(in), 1/sqrt(in)).
        setInitializer(new XavierInitializer(RandomType.GAUSSIAN, FactorType.IN, 2), Parameter.Type.WEIGHT);
        head.classifier()
                .setInitializer(new XavierInitializer(RandomType.UNIFORM, FactorType.IN, 1), Parameter.Type.WEIGHT);
    }

    /** Builds a named preset with its default class count. */
    public static DenseNet preset(String name) {
        return new DenseNet(Presets.named(name).config());
    }

    /** Builds a named preset with {@code classes} outputs. */
    public static DenseNet preset(String name, int classes) {
        return new DenseNet(Presets.named(name).config(classes));
    }

    private <S extends Stage> S addStage(S stage) {
        addChildBlock(stage.stageName(), stage);
        stages.add(stage);
        return stage;
    }

    public DenseNetConfig config() {
        return config;
    }

    /** Stem, dense blocks and transitions in order, then the head. */
    public List<Stage> stages() {
        return Collections.unmodifiableList(stages);
    }

    /**
     * Every parameter and BN statistic in PyTorch's state-dict order: each stage's {@link Stage#tensors}, stage
     * after stage.
     */
    public List<NDArray> tensors() {
        List<NDArray> out = new ArrayList<>();
        stages.forEach(s -> out.addAll(s.tensors()));
        return out;
    }

    public Stem stem() {
        return stem;
    }

    public List<DenseBlock> denseBlocks() {
        return Collections.unmodifiableList(blocks);
    }

    public List<Transition> transitions() {
        return Collections.unmodifiableList(transitions);
    }

    public Head head() {
        return head;
    }

    public MemoryFormat memoryFormat() {
        return memoryFormat;
    }

    /**
     * Chooses how forward passes store feature maps: CHANNELS_LAST (the default) is faster on CPU,
     * CHANNELS_FIRST is the plain reference; both give the same outputs.
     */
    public void setMemoryFormat(MemoryFormat memoryFormat) {
        this.memoryFormat = memoryFormat;
    }

    /** Returns a new array holding {@code images} in this network's memory format; the caller closes it. */
    public NDArray toMemoryFormat(NDArray images) {
        return memoryFormat == MemoryFormat.CHANNELS_LAST ? MemoryFormat.channelsLast(images) : images.duplicate();
    }

    /**
     * Keeps the part {@code freeze} names fixed while the rest trains (fine-tuning): its parameters get no
     * gradient, and its batch normalisations and dropouts run in eval mode, so their statistics stay the
     * pretrained ones. Call it once, before training; {@link Freeze#FEATURES} also fixes the head's BN, leaving
     * only the classifier to train.
     *
     * @throws IllegalArgumentException if the network has fewer dense blocks than {@code freeze} names
     */
    public void freeze(Freeze freeze) {
        freeze.checkFits(config);
        if (!this.freeze.isNone()) {
            throw new IllegalStateException("the network is already frozen (" + this.freeze.cliName() + ")");
        }
        int fixedStages = 0;
        if (freeze.features()) {
            fixedStages = stages.size() - 1;
        } else if (freeze.blocks() > 0) {
            // The block and the transition after it, when there is one.
            fixedStages = Math.min(stageIndex(freeze.blocks()) + 2, stages.size() - 1);
        }
        for (Stage stage : stages.subList(0, fixedStages)) {
            stage.freezeParameters(true);
            frozen.add(stage);
        }
        if (freeze.features()) {
            head.freezeNorm();
        }
        this.freeze = freeze;
    }

    /**
     * Per stage of {@link #stages()}: whether its batch normalisations (and dropouts) run in training mode while the
     * network trains; false for what {@link #freeze} keeps fixed, the head's BN included.
     */
    public boolean[] trainingModeStages() {
        boolean[] out = new boolean[stages.size()];
        for (int i = 0; i < out.length; i++) {
            Stage stage = stages.get(i);
            out[i] = !frozen.contains(stage) && !(stage == head && head.normFrozen());
        }
        return out;
    }

    /** What {@link #freeze} fixed; {@link Freeze#NONE} unless called. */
    public Freeze frozenPart() {
        return freeze;
    }

    /** Trainable parameters, counted as PyTorch's {@code parameters()} does (no BN statistics). */
    public long parameterCount() {
        return Layers.trainableParameters(this);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray images = inputs.singletonOrThrow();
        checkInput(images.getShape());
        NDList x = memoryFormat == MemoryFormat.CHANNELS_LAST ? new NDList(toMemoryFormat(images)) : inputs;
        for (Stage stage : stages) {
            NDList next = stage.forward(ps, x, training && !frozen.contains(stage), params);
            if (x != inputs) {
                x.close(); // a stage's output is consumed by the next stage: free it now
            }
            x = next;
        }
        return x;
    }

    /**
     * Runs eval-mode inference up to the output of dense block {@code block} (1-based): the maps that block
     * hands to its transition, or, for the last block, to the head. The caller closes the result.
     */
    public NDArray blockOutput(ParameterStore ps, NDArray images, int block) {
        checkBlock(block);
        checkInput(images.getShape());
        NDList x = new NDList(toMemoryFormat(images));
        for (Stage stage : stages.subList(0, stageIndex(block) + 1)) {
            NDList next = stage.forward(ps, x, false, null);
            x.close();
            x = next;
        }
        return x.singletonOrThrow();
    }

    /**
     * The pooled features the classifier sees, (N, C): eval-mode, the last block's output after BN and ReLU,
     * averaged over each map (torchvision's {@code flatten(adaptive_avg_pool2d(relu(features(x)), 1))}).
     */
    public NDArray features(ParameterStore ps, NDArray images) {
        NDArray last = blockOutput(ps, images, blocks.size());
        NDArray rectified = head.rectify(ps, new NDList(last), false, null);
        last.close();
        NDArray pooled = ai.djl.nn.pooling.Pool.globalAvgPool2d(rectified);
        rectified.close();
        NDArray flat = pooled.reshape(pooled.getShape().get(0), head.features());
        pooled.close();
        return flat;
    }

    /** Eval-mode logits from the output of dense block {@code block}: the stages after it, head included. */
    public NDArray logitsFrom(ParameterStore ps, NDArray blockOutput, int block) {
        checkBlock(block);
        NDList x = new NDList(blockOutput);
        for (Stage stage : stages.subList(stageIndex(block) + 1, stages.size())) {
            NDList next = stage.forward(ps, x, false, null);
            if (x.get(0) != blockOutput) {
                x.close();
            }
            x = next;
        }
        return x.singletonOrThrow();
    }

    /** Where dense block {@code block} (1-based) sits in {@link #stages()}. */
    private int stageIndex(int block) {
        return stages.indexOf(blocks.get(block - 1));
    }

    private void checkBlock(int block) {
        if (block < 1 || block > blocks.size()) {
            throw new IllegalArgumentException(
                    "block " + block + " does not exist: this network has dense blocks 1.." + blocks.size());
        }
    }

    /**
     * Checks an NCHW input shape against this network.
     *
     * @throws IllegalArgumentException naming the shape and what is expected
     */
    public void checkInput(Shape shape) {
        if (shape.dimension() != 4 || shape.get(1) != config.inputChannels()) {
            throw new IllegalArgumentException(
                    "expected an NCHW batch with " + config.inputChannels() + " channel(s), got shape " + shape);
        }
        config.checkInputSize(shape.get(2), shape.get(3));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] shapes = inputShapes;
        for (Stage stage : stages) {
            shapes = stage.getOutputShapes(shapes);
        }
        return shapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        checkInput(inputShapes[0]);
        Shape[] shapes = inputShapes;
        for (Stage stage : stages) {
            stage.initialize(manager, dataType, shapes);
            shapes = stage.getOutputShapes(shapes);
        }
    }
}
