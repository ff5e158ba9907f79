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

    /** A small DenseNet of any family: k=4, dense blocks of 2, 3 and 2 layers, stem of 8 maps, theta 0.5. */
    public static DenseNetConfig small(
            LayerType layerType, ConcatOrder order, StemType stem, int channels, int classes) {
        return DenseNetConfig.builder()
                .setGrowthRate(4)
                .setBlockLayers(2, 3, 2)
                .optLayerType(layerType)
                .optConcatOrder(order)
                .optStem(stem)
                .optStemWidth(8)
                .optCompression(0.5)
                .optInputChannels(channels)
                .optClasses(classes)
                .build();
    }

    /**
     * Skips a test that needs libtorch's convolutions to be right: on AMD guests whose hypervisor reports no cache
     * topology, libtorch 2.7.1's oneDNN writes zeros over some convolution weights and dies of SIGFPE planning others
     * ({@link org.densenet4j.infer.ConvolutionSelfCheck}); no result of densenet4j's can be checked there.
     */
    public static void assumeCorrectConvolutions() {
        java.util.Optional<String> failure = org.densenet4j.infer.ConvolutionSelfCheck.failure();
        org.junit.jupiter.api.Assumptions.assumeTrue(failure.isEmpty(), () -> failure.orElse(""));
    }

    /** Equal within 1e-4 of the largest expected magnitude, which must not be zero. */
    public static void assertClose(float[] expected, float[] actual, String what) {
        org.junit.jupiter.api.Assertions.assertEquals(expected.length, actual.length, what + ": length");
        float scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        org.junit.jupiter.api.Assertions.assertTrue(scale > 0, what + " is not all zero");
        for (int i = 0; i < expected.length; i++) {
            org.junit.jupiter.api.Assertions.assertEquals(expected[i], actual[i], 1e-4 * scale, what + " at " + i);
        }
    }
}
