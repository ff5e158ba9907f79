package org.densenet4j.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-stage output shape, parameters, MACs and activation memory for one image, with totals.
 *
 * @param input the (C, H, W) input shape
 * @param stages one row per stage, stem first, head last
 * @param parameters total trainable parameters
 * @param macs total multiply-accumulates for one image
 * @param activationBytes total FP32 activation memory for one image
 */
public record ModelSummary(Shape input, List<StageSummary> stages, long parameters, long macs, long activationBytes) {

    /**
     * One stage's figures.
     *
     * @param name the stage name
     * @param outputShape output shape for one image, without the batch axis
     * @param parameters trainable parameters of the stage
     * @param macs multiply-accumulates for one image
     * @param activationBytes FP32 bytes of the feature maps it produces for one image
     */
    public record StageSummary(String name, Shape outputShape, long parameters, long macs, long activationBytes) {}

    /**
     * Summarises a network for one image of the given (C, H, W) shape.
     *
     * @throws IllegalArgumentException if the input does not fit the network
     */
    public static ModelSummary of(DenseNetConfig config, Shape input) {
        if (input.dimension() != 3) {
            throw new IllegalArgumentException("input must be CxHxW, got " + input);
        }
        DenseNet net = new DenseNet(config);
        Shape batch = new Shape(1).addAll(input);
        net.checkInput(batch);
        try (NDManager manager = NDManager.newBaseManager()) {
            net.initialize(manager, DataType.FLOAT32, batch);
            List<StageSummary> rows = new ArrayList<>();
            Shape shape = input;
            long params = 0;
            long macs = 0;
            long bytes = 0;
            for (Stage stage : net.stages()) {
                StageCost cost = stage.cost(shape);
                Shape out = stage.getOutputShapes(new Shape[] {new Shape(1).addAll(shape)})[0];
                out = out.slice(1);
                long p = Layers.trainableParameters(stage);
                rows.add(new StageSummary(stage.stageName(), out, p, cost.macs(), cost.activationBytes()));
                params += p;
                macs += cost.macs();
                bytes += cost.activationBytes();
                shape = out;
            }
            return new ModelSummary(input, List.copyOf(rows), params, macs, bytes);
        }
    }
}
