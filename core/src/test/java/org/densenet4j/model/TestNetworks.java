package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/** Networks for tests that compare two ways of computing the same thing. */
public final class TestNetworks {

    private TestNetworks() {}

    /**
     * Random BN statistics and affine parameters, with negative and zero gammas, so that every branch of
     * the folding (lower bound, upper bound, no bound) is exercised.
     */
    public static void randomizeNorms(DenseNet net, NDManager m) {
        for (Parameter p : net.getParameters().values()) {
            NDArray a = p.getArray();
            Shape s = a.getShape();
            NDArray value =
                    switch (p.getType()) {
                        case GAMMA -> m.randomNormal(s)
                                .mul(m.randomUniform(0, 1, s).gt(0.15).toType(DataType.FLOAT32, false));
                        case BETA, RUNNING_MEAN -> m.randomNormal(0, 0.5f, s, DataType.FLOAT32);
                        case RUNNING_VAR -> m.randomUniform(0.3f, 2f, s);
                        default -> null;
                    };
            if (value != null) {
                a.set(value.toFloatArray());
            }
        }
    }
}
