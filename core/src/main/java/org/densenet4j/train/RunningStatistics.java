package org.densenet4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * A saved copy of every BN running mean and variance of a network. A training-mode BN updates its running
 * statistics on every forward pass; a pass that recomputes forward steps for backward would update them a
 * second time, so it saves them first and restores them afterwards.
 */
final class RunningStatistics implements AutoCloseable {

    private final List<NDArray> live = new ArrayList<>();
    private final List<NDArray> saved = new ArrayList<>();

    private RunningStatistics(Block block) {
        for (Parameter p : block.getParameters().values()) {
            Parameter.Type type = p.getType();
            if (type == Parameter.Type.RUNNING_MEAN || type == Parameter.Type.RUNNING_VAR) {
                live.add(p.getArray());
                saved.add(p.getArray().duplicate());
            }
        }
    }

    /** Saves the current running statistics of every BN in {@code block}. */
    static RunningStatistics save(Block block) {
        return new RunningStatistics(block);
    }

    /** Puts the saved values back in place. */
    void restore() {
        for (int i = 0; i < live.size(); i++) {
            saved.get(i).copyTo(live.get(i));
        }
    }

    @Override
    public void close() {
        saved.forEach(NDArray::close);
    }
}
