package org.densenet4j.cli;

import ai.djl.ndarray.types.Shape;
import org.densenet4j.base.MemoryBudget;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.MemoryPlan;

/** Refuses a workload the machine cannot hold, before it starts, with the estimate and what to change. */
final class MemoryCheck {

    private MemoryCheck() {}

    static void require(
            String what, DenseNetConfig config, Shape image, int batch, MemoryPlan.Use use, String batchOption) {
        MemoryBudget.require(MemoryPlan.weightBytes(config, use), what + " (its weights)", "choose a smaller model");
        String suggestion = use == MemoryPlan.Use.TRAINING
                ? "use a smaller " + batchOption + ", or --memory-efficient (about half the memory)"
                : "use a smaller " + batchOption;
        MemoryBudget.require(MemoryPlan.peakBytes(config, image, batch, use), what + " at batch " + batch, suggestion);
    }
}
