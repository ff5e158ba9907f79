package org.densenet4j.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.densenet4j.base.AtomicFile;

/**
 * Writes a state dict as a {@code torch.save} zip file that {@code torch.load} reads: an {@code
 * OrderedDict} of tensors pickled with protocol 2, one storage entry per tensor, written atomically.
 */
public final class TorchFileWriter {

    private static final String ARCHIVE = "archive/";

    private TorchFileWriter() {}

    public static void write(Map<String, TorchTensor> stateDict, Path file) throws IOException {
        AtomicFile.write(file, out -> {
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                stored(zip, ARCHIVE + "data.pkl", pickle(stateDict));
                int key = 0;
                for (TorchTensor t : stateDict.values()) {
                    stored(zip, ARCHIVE + "data/" + key++, storageBytes(t));
                }
                stored(zip, ARCHIVE + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
                stored(zip, ARCHIVE + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            }
        });
    }

    /** Uncompressed entries, as PyTorch writes them. */
    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private static byte[] storageBytes(TorchTensor t) {
        float[] d = t.data();
        ByteBuffer b = ByteBuffer.allocate(d.length * (t.integer() ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : d) {
            if (t.integer()) {
                b.putLong((long) v);
            } else {
                b.putFloat(v);
            }
        }
        return b.array();
    }

    /**
     * The pickle: {@code OrderedDict([(key, _rebuild_tensor_v2(persistent storage, 0, shape, stride,
     * False, OrderedDict())), ...])}.
     */
    static byte[] pickle(Map<String, TorchTensor> stateDict) {
        Pickle p = new Pickle();
        p.op(0x80).op(2); // PROTO 2
        p.global("collections", "OrderedDict").op(')').op('R');
        p.op('(');
        int key = 0;
        for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
            TorchTensor t = e.getValue();
            long[] shape = t.shape();
            p.unicode(e.getKey());
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('(');
            p.op('(')
                    .unicode("storage")
                    .global("torch", t.integer() ? "LongStorage" : "FloatStorage")
                    .unicode(Integer.toString(key++))
                    .unicode("cpu")
                    .integer(t.data().length)
                    .op('t');
            p.op('Q'); // BINPERSID
            p.integer(0);
            p.op('(');
            for (long d : shape) {
                p.integer(d);
            }
            p.op('t');
            p.op('(');
            long stride = 1;
            long[] strides = new long[shape.length];
            for (int i = shape.length - 1; i >= 0; i--) {
                strides[i] = stride;
                stride *= shape[i];
            }
            for (long s : strides) {
                p.integer(s);
            }
            p.op('t');
            p.op(0x89); // NEWFALSE: requires_grad
            p.global("collections", "OrderedDict").op(')').op('R');
            p.op('t').op('R');
        }
        p.op('u').op('.');
        return p.bytes();
    }

    /** The few pickle opcodes a state dict needs. */
    private static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int code) {
            out.write(code);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            byte[] b = (module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII);
            out.write(b, 0, b.length);
            return this;
        }

        Pickle unicode(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            int32(b.length);
            out.write(b, 0, b.length);
            return this;
        }

        Pickle integer(long v) {
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("dimension too large for this writer: " + v);
            }
            op('J');
            int32((int) v);
            return this;
        }

        private void int32(int v) {
            out.write(v & 0xff);
            out.write((v >>> 8) & 0xff);
            out.write((v >>> 16) & 0xff);
            out.write((v >>> 24) & 0xff);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
