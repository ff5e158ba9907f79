package org.densenet4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * How a forward pass stores its NCHW feature maps in memory. The logical shape is NCHW either way; only
 * the order of the bytes differs, so outputs are the same.
 */
public enum MemoryFormat {
    /** Plain NCHW storage, PyTorch's default: oneDNN reorders every conv input and output to its blocked layout and back. */
    CHANNELS_FIRST,
    /**
     * NHWC storage seen through an NCHW view (PyTorch's {@code channels_last}). oneDNN's convolutions read
     * and write it directly, so the two activation reorders around each conv disappear; libtorch's BN, ReLU,
     * concatenation and pooling keep the format of their input, so converting the images once carries it
     * through the whole network.
     */
    CHANNELS_LAST;

    /** Copies NCHW {@code images} into NHWC storage behind an NCHW view; the caller owns the result. */
    static NDArray channelsLast(NDArray images) {
        Shape s = images.getShape();
        // transpose is a view; flatten copies it into NHWC order; the final transpose is again a view, one
        // whose strides libtorch recognises as channels_last.
        try (NDArray nhwc = images.transpose(0, 2, 3, 1);
                NDArray packed = nhwc.flatten();
                NDArray shaped = packed.reshape(s.get(0), s.get(2), s.get(3), s.get(1))) {
            return shaped.transpose(0, 3, 1, 2);
        }
    }
}
