package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/** The few primitive layers every stage is made of, built the same way everywhere. */
final class Layers {

    /** BN's epsilon, PyTorch's default. */
    static final float BN_EPSILON = 1e-5f;

    private Layers() {}

    /** A bias-free square convolution; BN follows (or precedes) every conv, so a bias would be redundant. */
    static Conv2d conv(int filters, int kernel, int stride, int padding) {
        return Conv2d.builder()
                .setFilters(filters)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding))
                .optBias(false)
                .build();
    }

    /** BN with PyTorch's defaults: epsilon 1e-5, running statistics momentum 0.1. */
    static BatchNorm batchNorm() {
        return BatchNorm.builder().optEpsilon(BN_EPSILON).optMomentum(0.9f).build();
    }

    /** Dropout that is active only in training, as after each conv in the paper; closes its input if it copies. */
    static NDArray dropout(NDArray x, float rate, boolean training) {
        if (rate > 0 && training) {
            NDArray out = Dropout.dropout(x, rate, true).singletonOrThrow();
            x.close();
            return out;
        }
        return x;
    }

    /**
     * BN, then ReLU, closing the BN output at once. DJL frees an array only when its manager closes, so
     * without this every intermediate of a forward pass would stay allocated until the batch ends;
     * libtorch's autograd keeps its own reference to whatever backward needs, so closing the handle is safe.
     */
    static NDArray normRelu(
            BatchNorm norm, ParameterStore ps, NDList x, boolean training, PairList<String, Object> params) {
        NDArray normed = norm.forward(ps, x, training, params).singletonOrThrow();
        NDArray activated = Activation.relu(normed);
        normed.close();
        return activated;
    }

    /** Applies a conv and closes its input. */
    static NDArray convAndClose(
            Conv2d conv, ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
        NDArray out = conv.forward(ps, new NDList(x), training, params).singletonOrThrow();
        x.close();
        return out;
    }

    /** A BN's weight (gamma), bias (beta), running mean and running variance: PyTorch's state-dict order. */
    static List<NDArray> normTensors(BatchNorm norm) {
        return List.of(
                norm.getParameters().get("gamma").getArray(),
                norm.getParameters().get("beta").getArray(),
                norm.getParameters().get("runningMean").getArray(),
                norm.getParameters().get("runningVar").getArray());
    }

    /** The names PyTorch gives {@link #normTensors} of the BN called {@code name}. */
    static List<String> normNames(String name) {
        return List.of(name + ".weight", name + ".bias", name + ".running_mean", name + ".running_var");
    }

    /** {@code names}, each list in turn, as one list. */
    @SafeVarargs
    static <T> List<T> concat(List<T>... lists) {
        List<T> out = new ArrayList<>();
        for (List<T> l : lists) {
            out.addAll(l);
        }
        return List.copyOf(out);
    }

    /** Counts trainable parameters; BN running statistics are state, not parameters, as in PyTorch. */
    static long trainableParameters(Block block) {
        long count = 0;
        for (Parameter p : block.getParameters().values()) {
            if (p.requiresGradient()) {
                count += p.getArray().size();
            }
        }
        return count;
    }
}
