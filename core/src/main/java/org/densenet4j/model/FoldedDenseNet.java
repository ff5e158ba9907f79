package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * An inference-only DenseNet computed from a trained {@link DenseNet}'s weights: same outputs as its
 * eval-mode forward pass, fewer passes over memory. The plain {@link DenseNet} stays the reference (the
 * tests compare the two, and both against PyTorch).
 *
 * <p>DenseNet inference on a CPU spends more time in elementwise passes (BN, ReLU, concatenation, each
 * over every earlier feature map, O(L^2) per block) than in its convolutions. This network:
 * <ul>
 *   <li>folds each BN-ReLU that precedes a 1x1 conv or the classifier into one clamp plus that map's
 *       weights and bias ({@link FoldedNorm#preActivation}), and each BN that follows a conv (the
 *       bottleneck's second BN, the ImageNet stem's) into that conv;
 *   <li>gives each dense block one channels-last buffer for all its feature maps: each layer reads a
 *       channel range of it and writes its k new maps after (or, for the blog's new-features-first order,
 *       before) that range, so nothing is concatenated again;
 *   <li>average-pools before a transition's 1x1 conv rather than after (both are linear, so they
 *       commute), which gives the conv a quarter of the pixels.
 * </ul>
 * It is a snapshot: build it again after the weights change. Its arrays live in the manager passed to
 * {@link #of}; close that manager (or this block's, via {@link #close()}) when done.
 */
public final class FoldedDenseNet extends AbstractBlock implements AutoCloseable {

    private static final Shape ONE = new Shape(1, 1);
    private static final Shape NO_PADDING = new Shape(0, 0);
    private static final Shape POOL = new Shape(2, 2);

    private final DenseNet source;
    private final NDManager manager;
    private final Stem stem;
    private final NDArray stemWeight;
    private final NDArray stemBias;
    private final List<Block> blocks = new ArrayList<>();
    private final List<FoldedNorm.PreActivation> transitions = new ArrayList<>();
    private final FoldedNorm.PreActivation head;
    /** The classifier's own bias: folding moved the head BN's constant into {@link #head}'s bias. */
    private final NDArray classifierBias;

    /**
     * One dense layer: a folded bottleneck, or a basic layer that keeps its BN (its 3x3 conv pads, so the
     * BN cannot move into it).
     *
     * @param basicNorm running mean, running variance, gamma and beta of a basic layer's BN
     * @param reads the channels of the block buffer the layer reads
     * @param writes the channels of the block buffer its k new maps go to
     */
    private record Layer(
            FoldedNorm.PreActivation bottleneck,
            NDArray conv2Weight,
            NDArray[] basicNorm,
            NDArray basicWeight,
            NDIndex reads,
            NDIndex writes) {}

    /**
     * A dense block's folded layers and its buffer's channel layout.
     *
     * @param channels the buffer's channels: the block input plus k per layer
     * @param input where the block input goes in the buffer
     */
    private record Block(int channels, NDIndex input, List<Layer> layers) {}

    private FoldedDenseNet(DenseNet source, NDManager manager) {
        super((byte) 1);
        this.source = source;
        this.manager = manager;
        this.stem = source.stem();
        // The arithmetic runs in a scratch manager; only the folded arrays move to this network's own.
        try (NDManager scratch = manager.newSubManager()) {
            NDArray convWeight = weight(stem.conv());
            if (stem.norm() != null) {
                NDArray[] folded = FoldedNorm.intoPrecedingConv(stem.norm(), convWeight, null, scratch);
                stemWeight = keep(folded[0]);
                stemBias = keep(folded[1]);
            } else {
                stemWeight = keep(FoldedNorm.copy(convWeight, scratch));
                stemBias = null;
            }
            for (DenseBlock block : source.denseBlocks()) {
                blocks.add(fold(block, scratch));
            }
            for (Transition t : source.transitions()) {
                transitions.add(keep(FoldedNorm.preActivation(t.norm(), weight(t.conv()), null, scratch)));
            }
            Linear classifier = source.head().classifier();
            this.head = keep(FoldedNorm.preActivation(
                    source.head().norm(),
                    weight(classifier),
                    classifier.getParameters().get("bias").getArray(),
                    scratch));
            this.classifierBias =
                    keep(FoldedNorm.copy(classifier.getParameters().get("bias").getArray(), scratch));
        }
    }

    /** Moves a folded array from the scratch manager to this network's; null stays null. */
    private NDArray keep(NDArray array) {
        if (array != null) {
            array.attach(manager);
        }
        return array;
    }

    private FoldedNorm.PreActivation keep(FoldedNorm.PreActivation p) {
        keep(p.lower());
        keep(p.upper());
        keep(p.weight());
        keep(p.bias());
        return p;
    }

    /**
     * Folds {@code source}'s current weights; the folded arrays are created in a sub-manager of
     * {@code manager}.
     */
    public static FoldedDenseNet of(DenseNet source, NDManager manager) {
        return new FoldedDenseNet(source, manager.newSubManager());
    }

    /**
     * Lays out a block's buffer. In the paper's order the block input comes first and each layer appends
     * its k maps after the ones it reads; in the blog's new-features-first order the input sits at the end
     * and each layer prepends its maps. Either way a layer reads one contiguous channel range.
     */
    private Block fold(DenseBlock block, NDManager scratch) {
        int total = block.outputChannels();
        boolean inputFirst = block.concatOrder() == ConcatOrder.INPUT_FIRST;
        List<Layer> layers = new ArrayList<>();
        for (DenseLayer layer : block.layers()) {
            int seen = layer.inputChannels();
            int k = layer.growthRate();
            NDIndex reads = inputFirst ? channels(0, seen) : channels(total - seen, total);
            NDIndex writes = inputFirst ? channels(seen, seen + k) : channels(total - seen - k, total - seen);
            layers.add(fold(layer, reads, writes, scratch));
        }
        int inputChannels =
                block.layers().isEmpty() ? total : block.layers().get(0).inputChannels();
        NDIndex input = inputFirst ? channels(0, inputChannels) : channels(total - inputChannels, total);
        return new Block(total, input, layers);
    }

    private static NDIndex channels(int from, int to) {
        return new NDIndex().addAllDim().addSliceDim(from, to);
    }

    private Layer fold(DenseLayer layer, NDIndex reads, NDIndex writes, NDManager scratch) {
        if (!layer.isBottleneck()) {
            NDArray[] norm = new NDArray[4];
            String[] names = {"runningMean", "runningVar", "gamma", "beta"};
            for (int i = 0; i < names.length; i++) {
                norm[i] = keep(FoldedNorm.copy(
                        layer.norm1().getParameters().get(names[i]).getArray(), scratch));
            }
            return new Layer(null, null, norm, keep(FoldedNorm.copy(weight(layer.conv1()), scratch)), reads, writes);
        }
        FoldedNorm.PreActivation first = FoldedNorm.preActivation(layer.norm1(), weight(layer.conv1()), null, scratch);
        // The bottleneck's second BN follows conv1: fold it into conv1's (already folded) weights and bias.
        NDArray[] conv1 = FoldedNorm.intoPrecedingConv(layer.norm2(), first.weight(), first.bias(), scratch);
        FoldedNorm.PreActivation folded =
                keep(new FoldedNorm.PreActivation(first.lower(), first.upper(), conv1[0], conv1[1]));
        return new Layer(folded, keep(FoldedNorm.copy(weight(layer.conv2()), scratch)), null, null, reads, writes);
    }

    private static NDArray weight(ai.djl.nn.Block block) {
        return block.getParameters().get("weight").getArray();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (training) {
            throw new IllegalStateException("a FoldedDenseNet only runs inference; train the DenseNet it came from");
        }
        NDArray x = lastBlockOutput(inputs.singletonOrThrow());
        NDArray logits = headForward(x);
        x.close();
        return new NDList(logits);
    }

    /** Stem, dense blocks and transitions: the last block's output, which the head takes. */
    private NDArray lastBlockOutput(NDArray images) {
        source.checkInput(images.getShape());
        NDArray x;
        try (NDArray stored = MemoryFormat.channelsLast(images)) {
            x = stemForward(stored);
        }
        for (int b = 0; b < blocks.size(); b++) {
            NDArray features = blockForward(blocks.get(b), x);
            x.close();
            x = b < transitions.size() ? transitionForward(transitions.get(b), features) : features;
            if (x != features) {
                features.close();
            }
        }
        return x;
    }

    private NDArray stemForward(NDArray x) {
        if (stem.type() == StemType.CIFAR) {
            return Conv2d.conv2d(x, stemWeight, null, ONE, new Shape(1, 1)).singletonOrThrow();
        }
        NDArray conv = Conv2d.conv2d(x, stemWeight, stemBias, new Shape(2, 2), new Shape(3, 3))
                .singletonOrThrow();
        NDArray relu = Activation.relu(conv);
        conv.close();
        NDArray pooled = Pool.maxPool2d(relu, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false);
        relu.close();
        return pooled;
    }

    /** Runs a dense block in one buffer; returns the buffer, which holds the block's output. */
    private NDArray blockForward(Block block, NDArray input) {
        Shape in = input.getShape();
        NDArray buffer;
        try (NDArray nhwc = input.getManager()
                .create(new Shape(in.get(0), in.get(2), in.get(3), block.channels()), DataType.FLOAT32)) {
            buffer = nhwc.transpose(0, 3, 1, 2); // channels-last storage behind an NCHW view
        }
        buffer.set(block.input(), input);
        for (Layer layer : block.layers()) {
            NDArray out;
            try (NDArray features = buffer.get(layer.reads())) {
                out = layerForward(layer, features);
            }
            buffer.set(layer.writes(), out);
            out.close();
        }
        return buffer;
    }

    private NDArray layerForward(Layer layer, NDArray features) {
        if (layer.bottleneck() == null) {
            NDArray[] bn = layer.basicNorm();
            NDArray normed = BatchNorm.batchNorm(
                            features, bn[0], bn[1], bn[2], bn[3], 1, 0.9f, Layers.BN_EPSILON, false)
                    .singletonOrThrow();
            NDArray relu = Activation.relu(normed);
            normed.close();
            NDArray out = Conv2d.conv2d(relu, layer.basicWeight(), null, ONE, new Shape(1, 1))
                    .singletonOrThrow();
            relu.close();
            return out;
        }
        FoldedNorm.PreActivation first = layer.bottleneck();
        NDArray clamped = first.clamp(features);
        NDArray bottleneck = Conv2d.conv2d(clamped, first.weight(), first.bias(), ONE, NO_PADDING)
                .singletonOrThrow();
        clamped.close();
        NDArray relu = Activation.relu(bottleneck);
        bottleneck.close();
        NDArray out = Conv2d.conv2d(relu, layer.conv2Weight(), null, ONE, new Shape(1, 1))
                .singletonOrThrow();
        relu.close();
        return out;
    }

    private static NDArray transitionForward(FoldedNorm.PreActivation t, NDArray x) {
        NDArray clamped = t.clamp(x);
        NDArray pooled = Pool.avgPool2d(clamped, POOL, POOL, NO_PADDING, false, true);
        clamped.close();
        NDArray out =
                Conv2d.conv2d(pooled, t.weight(), t.bias(), ONE, NO_PADDING).singletonOrThrow();
        pooled.close();
        return out;
    }

    /**
     * Class activation maps (Zhou et al., 2016) of a batch: (N, classes, h, w), where map k at (y, x) is the
     * classifier's weights for class k applied to the final feature maps there,
     * {@code sum_c W[k][c] * relu(bn(features))[c][y][x]}. Their spatial mean is the logit minus the bias, so
     * they are exact for a DenseNet. Computed on the folded head: the folded weights applied to the clamped
     * maps, plus the constant folding moved into the bias, give the same maps as the plain network.
     */
    public NDArray classActivationMaps(NDArray images) {
        NDList both = logitsAndClassActivationMaps(images);
        both.get(0).close();
        return both.get(1);
    }

    /** The logits (N, classes) and the class activation maps (N, classes, h, w) of one forward pass. */
    public NDList logitsAndClassActivationMaps(NDArray images) {
        NDArray x = lastBlockOutput(images);
        NDArray logits = headForward(x);
        NDArray clamped = head.clamp(x);
        x.close();
        Shape s = clamped.getShape();
        NDArray perPosition = clamped.transpose(0, 2, 3, 1).reshape(-1, s.get(1)); // (N*h*w, C)
        clamped.close();
        NDArray scores = perPosition.matMul(head.weight().transpose()); // (N*h*w, classes)
        perPosition.close();
        NDArray shifted = scores.add(head.bias().sub(classifierBias));
        scores.close();
        NDArray maps = shifted.reshape(s.get(0), s.get(2), s.get(3), -1).transpose(0, 3, 1, 2);
        shifted.close();
        return new NDList(logits, maps);
    }

    private NDArray headForward(NDArray x) {
        NDArray clamped = head.clamp(x);
        NDArray pooled = Pool.globalAvgPool2d(clamped);
        clamped.close();
        NDArray flat = pooled.reshape(pooled.getShape().get(0), -1);
        pooled.close();
        NDArray logits = Linear.linear(flat, head.weight(), head.bias()).singletonOrThrow();
        flat.close();
        return logits;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return source.getOutputShapes(inputShapes);
    }

    /** Frees the folded weights. */
    @Override
    public void close() {
        manager.close();
    }
}
