package org.densenet4j.script;

import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.NonFiniteOutputException;
import org.densenet4j.infer.TrainedModel;

/**
 * A trained model on its way to densenet4j's int8 module: its spec and its tensors as the module reads them ({@link
 * Int8Weights}), folded at the first use and never again, so that a run that calibrates and then compiles ({@link
 * Int8Model#calibrate}, {@link Int8Model#compile}) folds the weights once. The model's weights must not change while
 * it is in use: make a new one for new weights.
 */
public final class Int8Source {

    private final TrainedModel model;
    private Int8Weights weights;

    private Int8Source(TrainedModel model) {
        this.model = model;
    }

    /** {@code model}, its weights not folded yet. */
    public static Int8Source of(TrainedModel model) {
        return new Int8Source(model);
    }

    /** What the model is and takes. */
    public ModelSpec spec() {
        return model.spec();
    }

    /**
     * Refuses weights that int8 cannot represent faithfully (NaN or infinite values, a negative BN variance): they
     * would quantize to finite int8 values that answer confidently where float32 answers NaN.
     *
     * @throws NonFiniteOutputException naming the first tensor at fault
     */
    public void requireQuantizable() {
        requireQuantizable(weights());
    }

    static void requireQuantizable(Int8Weights weights) {
        String fault = weights.fault();
        if (fault != null) {
            throw new NonFiniteOutputException("the int8 network's " + fault + ": the model's weights are damaged "
                    + "(loaded non-strictly, or from a diverged run)");
        }
    }

    /** The model itself. */
    public TrainedModel model() {
        return model;
    }

    /** The model's tensors as the int8 module reads them, folded at the first call. */
    public synchronized Int8Weights weights() {
        if (weights == null) {
            weights = Int8Weights.of(model.network());
        }
        return weights;
    }
}
