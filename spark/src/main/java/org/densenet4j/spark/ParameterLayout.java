package org.densenet4j.spark;

import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.model.DenseNet;

/**
 * A network's parameters in the one order the driver and every executor agree on (the network's own, which the same
 * configuration and freeze give everywhere), flattened into float arrays for broadcasts and sums.
 */
final class ParameterLayout {

    private final List<Parameter> all = new ArrayList<>();
    private final List<Parameter> trainable = new ArrayList<>();
    private final List<Parameter> statistics = new ArrayList<>();

    /** The layout of {@code network}, frozen as it will train. */
    ParameterLayout(DenseNet network) {
        for (var p : network.getParameters()) {
            Parameter parameter = p.getValue();
            all.add(parameter);
            if (parameter.requiresGradient()) {
                trainable.add(parameter);
            }
            if (parameter.getType() == Parameter.Type.RUNNING_MEAN
                    || parameter.getType() == Parameter.Type.RUNNING_VAR) {
                statistics.add(parameter);
            }
        }
    }

    /** Every parameter: what the driver broadcasts each step. */
    List<Parameter> all() {
        return all;
    }

    /** The parameters that train: what partitions send gradients of. */
    List<Parameter> trainable() {
        return trainable;
    }

    /** The BN running means and variances: what partitions send after their forward pass. */
    List<Parameter> statistics() {
        return statistics;
    }

    /** How many values {@code parameters} hold. */
    static long count(List<Parameter> parameters) {
        long total = 0;
        for (Parameter p : parameters) {
            total += p.getArray().size();
        }
        return total;
    }

    /** The values of {@code parameters}, one after the other. */
    static float[] flatten(List<Parameter> parameters) {
        long total = count(parameters);
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(total + " parameter values do not fit one array");
        }
        float[] out = new float[(int) total];
        int at = 0;
        for (Parameter p : parameters) {
            float[] values = p.getArray().toFloatArray();
            System.arraycopy(values, 0, out, at, values.length);
            at += values.length;
        }
        return out;
    }

    /** Sets {@code parameters} from {@code values}, laid out as {@link #flatten} lays them out, times {@code scale}. */
    static void load(List<Parameter> parameters, float[] values, float scale) {
        int at = 0;
        for (Parameter p : parameters) {
            int n = Math.toIntExact(p.getArray().size());
            float[] slice = java.util.Arrays.copyOfRange(values, at, at + n);
            if (scale != 1) {
                for (int i = 0; i < n; i++) {
                    slice[i] *= scale;
                }
            }
            p.getArray().set(slice);
            at += n;
        }
        if (at != values.length) {
            throw new IllegalStateException(values.length + " values for parameters of " + at);
        }
    }
}
