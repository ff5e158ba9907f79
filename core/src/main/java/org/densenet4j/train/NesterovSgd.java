package org.densenet4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * SGD with Nesterov momentum and no dampening, exactly as PyTorch's {@code torch.optim.SGD(...,
 * nesterov=True)} computes it; DJL's {@code Optimizer.nag()} is not implemented for PyTorch.
 *
 * <pre>
 *   g   = grad + weightDecay * w
 *   buf = g                      (first step)
 *   buf = momentum * buf + g     (later steps)
 *   w  -= lr * (g + momentum * buf)
 * </pre>
 *
 * <p>Weight decay applies to every parameter, BN and biases included, as in PyTorch and the paper's
 * Torch code. The learning rate is set by the training loop once per epoch from its schedule.
 */
public final class NesterovSgd extends Optimizer {

    private final float momentum;
    private volatile float learningRate;
    /** Momentum buffers by parameter id; they live in the parameters' own manager. */
    private final Map<String, NDArray> buffers = new HashMap<>();
    /** Per-parameter fractions of the learning rate, by parameter id (fine-tuning's smaller backbone rate). */
    private final Map<String, Float> rateScales = new HashMap<>();

    private NesterovSgd(Builder builder) {
        super(builder);
        this.momentum = builder.momentum;
        this.learningRate = builder.learningRate;
    }

    public static Builder builder() {
        return new Builder();
    }

    public float learningRate() {
        return learningRate;
    }

    public void setLearningRate(float learningRate) {
        this.learningRate = learningRate;
    }

    public float momentum() {
        return momentum;
    }

    /** Makes the parameter {@code parameterId} learn at {@code scale} times the learning rate. */
    public synchronized void scaleLearningRate(String parameterId, float scale) {
        rateScales.put(parameterId, scale);
    }

    /** The momentum buffers by parameter id, for checkpoints; empty before the first step. */
    public synchronized Map<String, NDArray> momentumBuffers() {
        return Collections.unmodifiableMap(new HashMap<>(buffers));
    }

    /** Restores a momentum buffer (from a checkpoint) for a parameter id. */
    public synchronized void restoreMomentum(String parameterId, NDArray weight, NDArray buffer) {
        NDArray copy = weight.getManager().create(buffer.getShape(), buffer.getDataType());
        buffer.copyTo(copy);
        NDArray old = buffers.put(parameterId, copy);
        if (old != null) {
            old.close();
        }
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        updateCount(parameterId);
        // Every temporary lives in this scope so that nothing outlives the step.
        try (NDManager scope = weight.getManager().newSubManager()) {
            NDArray g = grad.mul(rescaleGrad);
            g.attach(scope);
            if (clipGrad > 0) {
                NDArray clipped = g.clip(-clipGrad, clipGrad);
                clipped.attach(scope);
                g = clipped;
            }
            float weightDecay = getWeightDecay();
            if (weightDecay != 0) {
                NDArray decay = weight.mul(weightDecay);
                decay.attach(scope);
                g.addi(decay);
            }
            NDArray buffer;
            float rate;
            synchronized (this) {
                rate = learningRate * rateScales.getOrDefault(parameterId, 1f);
                buffer = buffers.get(parameterId);
                if (buffer == null) {
                    buffer = g.duplicate();
                    buffer.attach(weight.getManager());
                    buffers.put(parameterId, buffer);
                } else {
                    buffer.muli(momentum).addi(g);
                }
            }
            NDArray step = buffer.mul(momentum);
            step.attach(scope);
            step.addi(g).muli(rate);
            weight.subi(step);
        }
    }

    /** Builds a {@link NesterovSgd}; defaults are the paper's: lr 0.1, momentum 0.9, weight decay 1e-4. */
    public static final class Builder extends OptimizerBuilder<Builder> {
        private float momentum = 0.9f;
        private float learningRate = 0.1f;

        private Builder() {
            optWeightDecays(1e-4f);
        }

        public Builder optMomentum(float momentum) {
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
            }
            this.momentum = momentum;
            return this;
        }

        public Builder optLearningRate(float learningRate) {
            if (!(learningRate > 0)) {
                throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
            }
            this.learningRate = learningRate;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        public NesterovSgd build() {
            return new NesterovSgd(this);
        }
    }
}
