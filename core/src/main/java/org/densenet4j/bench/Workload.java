package org.densenet4j.bench;

import ai.djl.ndarray.types.Shape;
import org.densenet4j.infer.Precision;
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
 * @param memoryFormat how the plain network stores feature maps (training, and plain inference)
 * @param step how a training step computes gradients (unused for inference)
 * @param plainInference run inference through the plain {@code DenseNet} (the reference) instead of the
 *     {@code FoldedDenseNet} that predict, eval and serve use
 * @param precision fp32, or bf16: inference through a bfloat16 TorchScript export of the network, run by libtorch;
 *     or int8: densenet4j's int8 module
 * @param calibration for int8, a .npy file of normalised float32 images (N, C, H, W) to calibrate on (the harness
 *     gives PyTorch's int8 the same), or null to calibrate on the benchmark's own input batch
 */
public record Workload(
        String name,
        DenseNetConfig config,
        Shape batch,
        Mode mode,
        MemoryFormat memoryFormat,
        TrainingStep step,
        boolean plainInference,
        Precision precision,
        java.nio.file.Path calibration) {

    /** What is timed. */
    public enum Mode {
        /** Eval-mode forward pass. */
        INFER,
        /** Forward, backward and a Nesterov SGD step, BN in training mode. */
        TRAIN
    }
}
