package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
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
 * Each stage folds itself ({@code Stem.fold}, {@code DenseBlock.fold}, ...); this class only assembles the
 * folded stages. It is a snapshot: build it again after the weights change. Its arrays live in the manager passed to
 * {@link #of}; close that manager (or this block's, via {@link #close()}) when done.
 */
public final class FoldedDenseNet extends AbstractBlock implements AutoCloseable {

    private final DenseNet source;
    private final NDManager manager;
    private final FoldedStem stem;
    private final List<FoldedBlock> blocks = new ArrayList<>();
    private final List<FoldedTransition> transitions = new ArrayList<>();
    private final FoldedHead head;

    private FoldedDenseNet(DenseNet source, NDManager manager) {
        super((byte) 1);
        this.source = source;
        this.manager = manager;
        // The arithmetic runs in a scratch manager; only the folded arrays move to this network's own.
        try (NDManager scratch = manager.newSubManager()) {
            Folding f = new Folding(scratch, manager);
            this.stem = source.stem().fold(f);
            for (DenseBlock block : source.denseBlocks()) {
                blocks.add(block.fold(f));
            }
            for (Transition t : source.transitions()) {
                transitions.add(t.fold(f));
            }
            this.head = source.head().fold(f);
        }
    }

    /**
     * Folds {@code source}'s current weights; the folded arrays are created in a sub-manager of
     * {@code manager}.
     */
    public static FoldedDenseNet of(DenseNet source, NDManager manager) {
        return new FoldedDenseNet(source, manager.newSubManager());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (training) {
            throw new IllegalStateException("a FoldedDenseNet only runs inference; train the DenseNet it came from");
        }
        NDArray x = lastBlockOutput(inputs.singletonOrThrow());
        NDArray logits = head.logits(x);
        x.close();
        return new NDList(logits);
    }

    /** Stem, dense blocks and transitions: the last block's output, which the head takes. */
    private NDArray lastBlockOutput(NDArray images) {
        source.checkInput(images.getShape());
        NDArray x;
        try (NDArray stored = MemoryFormat.channelsLast(images)) {
            x = stem.forward(stored);
        }
        for (int b = 0; b < blocks.size(); b++) {
            NDArray features = blocks.get(b).forward(x);
            x.close();
            x = b < transitions.size() ? transitions.get(b).forward(features) : features;
            if (x != features) {
                features.close();
            }
        }
        return x;
    }

    /**
     * Class activation maps (Zhou et al., 2016) of a batch: (N, classes, h, w), where map k at (y, x) is the
     * classifier's weights for class k applied to the final feature maps there,
     * {@code sum_c W[k][c] * relu(bn(features))[c][y][x]}. Their spatial mean is the logit minus the bias, so
     * they are exact for a DenseNet. Computed on the folded head: the folded weights applied to the clamped
     * maps, plus the constant folding moved into the bias, give the same maps as the plain network.
     */
    public NDArray classActivationMaps(NDArray images) {
        NDArray x = lastBlockOutput(images);
        NDArray maps = head.classActivationMaps(x);
        x.close();
        return maps;
    }

    /** The logits (N, classes) and the class activation maps (N, classes, h, w) of one forward pass. */
    public NDList logitsAndClassActivationMaps(NDArray images) {
        NDArray x = lastBlockOutput(images);
        NDList both = new NDList(head.logits(x), head.classActivationMaps(x));
        x.close();
        return both;
    }

    /** The folded arrays, stage by stage, for exporters ({@link FoldedWeights}). */
    public FoldedWeights weights() {
        return new FoldedWeights(
                stem.weight(),
                stem.bias(),
                blocks.stream().map(FoldedBlock::weights).toList(),
                transitions.stream().map(FoldedTransition::weights).toList(),
                head.weights());
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
