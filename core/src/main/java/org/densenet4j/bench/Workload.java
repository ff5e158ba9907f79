package org.densenet4j.bench;

import ai.djl.ndarray.types.Shape;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.MemoryFormat;
import org.densenet4j.train.TrainingStep;

/**
 * One thing to measure: a model, a batch shape and a mode.
 *
 * @param name a label for reports, such as {@code densenet121 224x224 batch 8}
 * @param config the network
 * @param batch the NCHW batch shape
 * @param mode inference or a full training step
 * @param memoryFormat how the forward pass stores feature maps
 * @param step how a training step computes gradients (unused for inference)
 */
public record Workload(String name, DenseNetConfig config, Shape batch, Mode mode, MemoryFormat memoryFormat,
        TrainingStep step) {

    /** What is timed. */
    public enum Mode {
        /** Eval-mode forward pass. */
        INFER,
        /** Forward, backward and a Nesterov SGD step, BN in training mode. */
        TRAIN
    }
}
