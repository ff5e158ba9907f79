package org.densenet4j.torch;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Pickle protocol 2, written opcode by opcode: the few that PyTorch's files need (state dicts, TorchScript module
 * state). Readable against Python's {@code pickletools.dis}.
 */
public final class PickleWriter {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Writes the opcode byte {@code code}. */
    public PickleWriter op(int code) {
        out.write(code);
        return this;
    }

    /** GLOBAL: pushes {@code module.name}. */
    public PickleWriter global(String module, String name) {
        op('c');
        byte[] b = (module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII);
        out.write(b, 0, b.length);
        return this;
    }

    /** BINUNICODE. */
    public PickleWriter unicode(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        int32(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    /** BININT. */
    public PickleWriter integer(long v) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("dimension too large for this writer: " + v);
        }
        op('J');
        int32((int) v);
        return this;
    }

    /**
     * {@code torch._utils._rebuild_tensor_v2(persistent ('storage', type, key, 'cpu', numel), 0, shape, stride,
     * False, OrderedDict())}: a contiguous tensor over the storage entry {@code data/key}.
     */
    public PickleWriter tensor(String key, TorchTensor t) {
        return tensor(key, t, t.integer() ? "LongStorage" : "FloatStorage");
    }

    /** As {@link #tensor(String, TorchTensor)}, over a storage of the given type (such as BFloat16Storage). */
    public PickleWriter tensor(String key, TorchTensor t, String storageType) {
        long[] shape = t.shape();
        global("torch._utils", "_rebuild_tensor_v2");
        op('(');
        op('(').unicode("storage")
                .global("torch", storageType)
                .unicode(key)
                .unicode("cpu")
                .integer(t.data().length)
                .op('t');
        op('Q'); // BINPERSID
        integer(0);
        op('(');
        for (long d : shape) {
            integer(d);
        }
        op('t');
        op('(');
        long stride = 1;
        long[] strides = new long[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = stride;
            stride *= shape[i];
        }
        for (long s : strides) {
            integer(s);
        }
        op('t');
        op(0x89); // NEWFALSE: requires_grad
        global("collections", "OrderedDict").op(')').op('R');
        op('t').op('R');
        return this;
    }

    private void int32(int v) {
        out.write(v & 0xff);
        out.write((v >>> 8) & 0xff);
        out.write((v >>> 16) & 0xff);
        out.write((v >>> 24) & 0xff);
    }

    /** The pickle written so far. */
    public byte[] bytes() {
        return out.toByteArray();
    }
}
