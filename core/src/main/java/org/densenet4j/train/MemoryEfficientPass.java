package org.densenet4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.model.DenseBlock;
import org.densenet4j.model.DenseLayer;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.Transition;

/**
 * A training pass whose memory grows linearly with depth (the idea of Pleiss et al., "Memory-Efficient
 * Implementation of DenseNets", 2017).
 *
 * <p>Plain autograd keeps, for every dense layer, the concatenation of all maps before it plus its BN and
 * ReLU outputs: O(L^2) memory in the number of layers. Here the forward pass runs without autograd and
 * keeps only what cannot be recomputed cheaply from smaller data: each block's input and the k new maps of
 * each layer. Backward then walks the network from the head down, and for each layer recomputes its
 * concatenation and forward with autograd on, and back-propagates the gradient that later layers sent to
 * its k maps ({@code sum(out * grad)} has exactly that gradient). The layer's inputs are leaves, so
 * libtorch accumulates their gradients for the layers before it; only one layer's graph exists at a time.
 *
 * <p>DJL exposes no custom autograd functions, so the whole layer (its convolutions too) is recomputed,
 * not only the concatenation-BN-ReLU of the paper: a second forward pass. Dropout would draw a different
 * mask on recomputation, so networks with dropout are refused.
 */
final class MemoryEfficientPass {

    private MemoryEfficientPass() {}

    static TrainingStep.Pass run(Trainer trainer, TrainingPass pass, NDArray images, NDArray labels) {
        if (!(trainer.getModel().getBlock() instanceof DenseNet net)) {
            throw new IllegalArgumentException("the memory-efficient step needs a DenseNet, got "
                    + trainer.getModel().getBlock().getClass().getSimpleName());
        }
        checkSupports(net.config());
        ParameterStore ps = new ParameterStore(trainer.getManager(), false);
        List<DenseBlock> blocks = net.denseBlocks();
        List<Transition> transitions = net.transitions();
        NDArray stemInput = net.toMemoryFormat(images);
        List<List<NDArray>> pieces = new ArrayList<>();
        try {
            forwardKeepingNewMaps(net, pass, ps, stemInput, pieces);
            pieces.forEach(list -> list.forEach(p -> p.setRequiresGradient(true)));

            try (GradientCollector collector = trainer.newGradientCollector()) {
                DenseBlock last = blocks.get(blocks.size() - 1);
                NDArray features = last.concatenate(pieces.get(blocks.size() - 1));
                NDArray logits = pass.part(ps, net.head(), features);
                features.close();
                NDArray loss = trainer.getLoss().evaluate(new NDList(labels), new NDList(logits));
                TrainingStep.clearGradients(net);
                collector.backward(loss);
                // Every BN has now seen this batch once; the recomputations below must not count it again.
                try (RunningStatistics statistics = RunningStatistics.save(net)) {
                    for (int b = blocks.size() - 1; b >= 0; b--) {
                        backwardThroughBlock(collector, pass, ps, blocks.get(b), pieces.get(b));
                        NDArray inputGradient = pieces.get(b).get(0).getGradient();
                        if (b > 0) {
                            try (NDArray transitionInput = blocks.get(b - 1).concatenate(pieces.get(b - 1))) {
                                recomputeAndBackward(
                                        collector, pass, ps, transitions.get(b - 1), transitionInput, inputGradient);
                            }
                        } else {
                            recomputeAndBackward(collector, pass, ps, net.stem(), stemInput, inputGradient);
                        }
                        inputGradient.close();
                        pieces.get(b).forEach(NDArray::close);
                    }
                    statistics.restore();
                }
                float lossValue = loss.getFloat();
                loss.close();
                return new TrainingStep.Pass(logits, lossValue);
            }
        } finally {
            stemInput.close();
            pieces.forEach(list -> list.forEach(NDArray::close));
        }
    }

    /**
     * The forward pass without autograd (DJL enables it only inside a GradientCollector), up to the head.
     * Fills {@code pieces} with, for each block, its input and then the k new maps of each of its layers.
     * BN updates its running statistics here, once.
     */
    private static void forwardKeepingNewMaps(
            DenseNet net, TrainingPass pass, ParameterStore ps, NDArray stemInput, List<List<NDArray>> pieces) {
        List<DenseBlock> blocks = net.denseBlocks();
        List<Transition> transitions = net.transitions();
        NDArray blockInput = pass.part(ps, net.stem(), stemInput);
        for (int b = 0; b < blocks.size(); b++) {
            List<NDArray> kept = new ArrayList<>();
            kept.add(blockInput);
            pieces.add(kept);
            List<DenseLayer> layers = blocks.get(b).layers();
            NDArray features = blockInput;
            for (int i = 0; i < layers.size(); i++) {
                kept.add(pass.part(ps, layers.get(i), features));
                if (features != blockInput) {
                    features.close();
                }
                // The last block's full concatenation is needed only by the head, which backward recomputes.
                boolean needed = i < layers.size() - 1 || b < transitions.size();
                features = needed ? blocks.get(b).concatenate(kept) : blockInput;
            }
            if (b < transitions.size()) {
                blockInput = pass.part(ps, transitions.get(b), features);
            }
            if (features != kept.get(0)) {
                features.close();
            }
        }
    }

    static void checkSupports(DenseNetConfig config) {
        if (config.dropRate() > 0) {
            throw new IllegalArgumentException("the memory-efficient step recomputes layers in backward and "
                    + "needs dropout 0, but the network has drop rate " + config.dropRate());
        }
    }

    /** Layers in reverse: each one's k maps have by now received every gradient later layers send them. */
    private static void backwardThroughBlock(
            GradientCollector collector, TrainingPass pass, ParameterStore ps, DenseBlock block, List<NDArray> kept) {
        List<DenseLayer> layers = block.layers();
        for (int i = layers.size(); i >= 1; i--) {
            try (NDArray gradient = kept.get(i).getGradient();
                    NDArray input = block.concatenate(kept.subList(0, i))) {
                recomputeAndBackward(collector, pass, ps, layers.get(i - 1), input, gradient);
            }
        }
    }

    /** Runs {@code block} on {@code input} with autograd on and back-propagates {@code outputGradient} through it. */
    private static void recomputeAndBackward(
            GradientCollector collector,
            TrainingPass pass,
            ParameterStore ps,
            AbstractBlock block,
            NDArray input,
            NDArray outputGradient) {
        NDArray output = pass.part(ps, block, input);
        NDArray weighted = output.mul(outputGradient);
        output.close();
        NDArray surrogate = weighted.sum();
        weighted.close();
        collector.backward(surrogate);
        surrogate.close();
    }
}
