package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.BatchNorm;

/**
 * Eval-mode batch normalisation folded into the linear map next to it, the arithmetic behind
 * {@link FoldedDenseNet} and ONNX export's folding. An eval-mode BN is a per-channel affine map {@code s*x + b} with
 * {@code s = gamma / sqrt(var + eps)} and {@code b = beta - mean * s}.
 */
public final class FoldedNorm {

    private FoldedNorm() {}

    /**
     * A BN-ReLU folded into the 1x1 conv (or linear layer) that follows it.
     *
     * <p>{@code relu(s*x + b) = s*clamp(x) + b'} per channel, where clamp is {@code max(x, -b/s)} for
     * {@code s > 0}, {@code min(x, -b/s)} for {@code s < 0}, and for {@code s = 0} any value (the term is
     * {@code relu(b)}). The scale and the constant then move into the next linear map's weights and bias,
     * which leaves one elementwise pass (the clamp) where BN and ReLU took two. Only valid when the map
     * that follows has no zero padding: a padded conv would see {@code b'} in its border where the
     * original saw zeros.
     *
     * @param lower per-channel lower bound, (1, C, 1, 1); minus infinity where there is none
     * @param upper per-channel upper bound, (1, C, 1, 1), or null when every scale is non-negative
     * @param weight the next map's weight with the scale folded in
     * @param bias the next map's bias with the constant folded in
     */
    record PreActivation(NDArray lower, NDArray upper, NDArray weight, NDArray bias) {

        /** The clamp; the caller owns the result. */
        NDArray clamp(NDArray x) {
            NDArray z = x.maximum(lower);
            if (upper == null) {
                return z;
            }
            NDArray clamped = z.minimum(upper);
            z.close();
            return clamped;
        }
    }

    /**
     * Folds {@code norm} followed by ReLU into the map with {@code weight} (O, C) or (O, C, 1, 1) and the
     * optional {@code bias}. Every array, the results included, is created in {@code manager}.
     */
    static PreActivation preActivation(BatchNorm norm, NDArray weight, NDArray bias, NDManager manager) {
        weight = copy(weight, manager);
        NDArray[] sb = affine(norm, manager);
        NDArray s = sb[0];
        NDArray b = sb[1];
        long channels = s.size();
        NDArray threshold = b.neg().div(s); // +-inf or NaN where s = 0; masked below
        NDArray negativeInfinity = manager.full(s.getShape(), Float.NEGATIVE_INFINITY);
        NDArray lower = NDArrays.where(s.gt(0), threshold, negativeInfinity);
        NDArray upper = null;
        if (s.lt(0).any().getBoolean()) {
            upper = NDArrays.where(s.lt(0), threshold, negativeInfinity.neg());
        }
        NDArray constant = NDArrays.where(s.eq(0), b.maximum(0), b);
        long outputs = weight.getShape().get(0);
        NDArray w2d = weight.reshape(outputs, channels);
        NDArray foldedWeight = w2d.mul(s.reshape(1, channels)).reshape(weight.getShape());
        NDArray foldedBias = w2d.matMul(constant.reshape(channels, 1)).reshape(outputs);
        if (bias != null) {
            foldedBias = foldedBias.add(copy(bias, manager));
        }
        Shape perChannel = new Shape(1, channels, 1, 1);
        return new PreActivation(
                lower.reshape(perChannel), upper == null ? null : upper.reshape(perChannel), foldedWeight, foldedBias);
    }

    /**
     * Folds {@code norm}, which follows a conv with {@code weight} (O, C, kh, kw) and the optional
     * {@code bias}, into that conv: {@code s*(W*x + c) + b = (s*W)*x + (s*c + b)}. Returns the new weight
     * and bias, created in {@code manager}.
     */
    public static NDArray[] intoPrecedingConv(BatchNorm norm, NDArray weight, NDArray bias, NDManager manager) {
        weight = copy(weight, manager);
        NDArray[] sb = affine(norm, manager);
        long outputs = weight.getShape().get(0);
        NDArray foldedBias =
                bias == null ? sb[1] : copy(bias, manager).mul(sb[0]).add(sb[1]);
        return new NDArray[] {weight.mul(sb[0].reshape(outputs, 1, 1, 1)), foldedBias};
    }

    /** The BN's scale s and shift b, as arrays in {@code manager}. */
    private static NDArray[] affine(BatchNorm norm, NDManager manager) {
        NDArray gamma = copy(norm.getParameters().get("gamma").getArray(), manager);
        NDArray beta = copy(norm.getParameters().get("beta").getArray(), manager);
        NDArray mean = copy(norm.getParameters().get("runningMean").getArray(), manager);
        NDArray var = copy(norm.getParameters().get("runningVar").getArray(), manager);
        NDArray s = gamma.div(var.add(Layers.BN_EPSILON).sqrt());
        NDArray b = beta.sub(mean.mul(s));
        return new NDArray[] {s, b};
    }

    /** A copy of a parameter in {@code manager}, so that every array derived from it lands there too. */
    static NDArray copy(NDArray parameter, NDManager manager) {
        NDArray copy = parameter.duplicate();
        copy.attach(manager);
        return copy;
    }

    /** This pre-activation as the public view exporters read. */
    static FoldedWeights.PreActivation view(PreActivation p) {
        return new FoldedWeights.PreActivation(p.lower(), p.upper(), p.weight(), p.bias());
    }
}
