package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;

/**
 * Where a stage folds its weights: the arithmetic runs in {@code scratch} (freed afterwards), and only the folded
 * arrays move to {@code target}, the folded network's own manager.
 */
record Folding(NDManager scratch, NDManager target) {

    /** Moves a folded array to the target; null stays null. */
    NDArray keep(NDArray array) {
        if (array != null) {
            array.attach(target);
        }
        return array;
    }

    FoldedNorm.PreActivation keep(FoldedNorm.PreActivation p) {
        keep(p.lower());
        keep(p.upper());
        keep(p.weight());
        keep(p.bias());
        return p;
    }

    /** A copy of a parameter, kept. */
    NDArray copy(NDArray parameter) {
        return keep(FoldedNorm.copy(parameter, scratch));
    }

    /** A block's {@code weight} parameter. */
    static NDArray weight(Block block) {
        return block.getParameters().get("weight").getArray();
    }
}
