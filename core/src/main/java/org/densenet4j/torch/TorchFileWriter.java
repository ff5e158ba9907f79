package org.densenet4j.torch;

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
    public static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
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

    /** A tensor's values as its storage entry holds them: little-endian float32, or int64 for counters. */
    public static byte[] storageBytes(TorchTensor t) {
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
        PickleWriter p = new PickleWriter();
        p.op(0x80).op(2); // PROTO 2
        p.global("collections", "OrderedDict").op(')').op('R');
        p.op('(');
        int key = 0;
        for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
            p.unicode(e.getKey());
            p.tensor(Integer.toString(key++), e.getValue());
        }
        p.op('u').op('.');
        return p.bytes();
    }
}
