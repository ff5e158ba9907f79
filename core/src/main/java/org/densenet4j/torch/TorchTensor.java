package org.densenet4j.torch;

import java.util.Arrays;

/**
 * A tensor read from or written to a PyTorch file: contiguous values in row-major order, held as
 * floats (integer tensors such as BN's {@code num_batches_tracked} are small counts).
 *
 * @param shape the dimensions
 * @param data shape-product values
 * @param integer true for an int64 tensor (written as {@code torch.LongStorage})
 */
public record TorchTensor(long[] shape, float[] data, boolean integer) {

    /** A float32 tensor. */
    public TorchTensor(long[] shape, float[] data) {
        this(shape, data, false);
    }

    public TorchTensor {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public String toString() {
        return "TorchTensor" + Arrays.toString(shape);
    }
}
