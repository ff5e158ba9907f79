package org.densenet4j.torch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import org.densenet4j.base.MemoryBudget;

/**
 * Reads {@code torch.save} files (the zip format of PyTorch 1.6 and later) holding state dicts,
 * possibly nested in other dicts, of float32, float16 and float64 tensors.
 *
 * <p>Unpickling is safe: only the globals a state dict needs are allowed ({@code
 * collections.OrderedDict}, torch's tensor-rebuild functions and storage types). Any other global,
 * and every opcode that could construct arbitrary objects, is refused with an error naming it;
 * nothing from the file is ever executed. Integer tensors (such as {@code num_batches_tracked}) are
 * read as floats.
 */
public final class TorchFileReader {

    /** State-dict pickles are small (densenet264's is about 100 KB): a larger data.pkl is not a state dict. */
    static final int MAX_PICKLE_BYTES = 64 << 20;
    /** Nesting a state dict never reaches (a checkpoint dict holding a state dict is 2 levels). */
    static final int MAX_DEPTH = 64;
    /** Objects a walk over the unpickled state may visit: densenet264's state dict has about 3,000. */
    static final int MAX_OBJECTS = 1_000_000;
    /**
     * torch.save stores tensors uncompressed; a storage inflating to more than this many times its compressed
     * size (beyond small ones, where zeros compress well) is a zip bomb, not weights.
     */
    static final int MAX_COMPRESSION_RATIO = 100;

    private TorchFileReader() {}

    /** A storage class; the pickle names it (as a global) inside each tensor's persistent id. */
    enum StorageType implements IObjectConstructor {
        FLOAT32(4),
        FLOAT16(2),
        FLOAT64(8),
        INT64(8),
        INT32(4),
        UINT8(1),
        BOOL(1),
        BFLOAT16(2);

        final int bytes;

        StorageType(int bytes) {
            this.bytes = bytes;
        }

        @Override
        public Object construct(Object[] args) {
            return this;
        }
    }

    /**
     * What a pickle may build. A state dict ({@code torch.save}) holds maps, lists and tensor views; a scripted module's
     * state ({@code data.pkl} of a TorchScript archive densenet4j wrote) is one {@code __torch__.DenseNet} object whose
     * attributes are typed tensor lists, each tensor alone and whole in its own storage.
     */
    public enum Dialect {
        STATE_DICT,
        DENSENET4J_MODULE
    }

    /** The class of a scripted module's state: what {@code __torch__.DenseNet} unpickles to. */
    public static final class ModuleState extends LinkedHashMap<Object, Object> {}

    /**
     * Reads the file and returns the object it holds, with every tensor materialised as a {@link
     * TorchTensor}: maps stay maps (in file order), lists stay lists, numbers and strings stay.
     *
     * @throws TorchFormatException naming the file and the problem
     */
    public static Object read(Path file) throws IOException {
        return read(file, Dialect.STATE_DICT, Double.MAX_VALUE);
    }

    /**
     * As {@link #read(Path)}, admitting what {@code dialect} allows. In {@link Dialect#DENSENET4J_MODULE}, every storage
     * entry must hold exactly the bytes its tensor needs and every tensor must start at its storage's first element,
     * be contiguous and cover the whole storage, as densenet4j writes them. The storages together may declare at
     * most {@code maxStoredBytes} (what the model the caller expects can hold), checked before any is read.
     */
    public static Object read(Path file, Dialect dialect, double maxStoredBytes) throws IOException {
        ZipNames.requireNoSpecialFile(file);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file + ": no such file");
        }
        try (ZipFile zip = openZip(file)) {
            return readOpen(file, zip, dialect, maxStoredBytes);
        }
    }

    /**
     * As {@link #read(Path, Dialect, double)}, from {@code zip}, the caller's open zip of {@code file}, which stays
     * open: for readers that check other entries of the same file and open it once. Its entry names are checked to be
     * unique here as {@link ZipNames#open} checks them.
     */
    public static Object read(Path file, ZipFile zip, Dialect dialect, double maxStoredBytes) throws IOException {
        ZipNames.requireUnique(file, zip);
        return readOpen(file, zip, dialect, maxStoredBytes);
    }

    private static Object readOpen(Path file, ZipFile zip, Dialect dialect, double maxStoredBytes) throws IOException {
        ZipEntry pickle = findEntry(file, zip, "data.pkl");
        if (pickle == null) {
            throw new TorchFormatException(file, "zip archive without data.pkl: not a torch.save file");
        }
        String prefix = pickle.getName().substring(0, pickle.getName().length() - "data.pkl".length());
        requireOneRoot(file, zip, prefix);
        Object root;
        SafeUnpickler unpickler = new SafeUnpickler(dialect);
        byte[] pickled;
        try (InputStream in = zip.getInputStream(pickle)) {
            pickled = in.readNBytes(MAX_PICKLE_BYTES + 1);
        }
        if (pickled.length <= MAX_PICKLE_BYTES) {
            checkCrc(file, pickle, pickled, pickled.length);
        }
        if (pickled.length > MAX_PICKLE_BYTES) {
            throw new TorchFormatException(
                    file,
                    "data.pkl is larger than " + (MAX_PICKLE_BYTES >> 20)
                            + " MB; a state dict's is a few hundred kilobytes");
        }
        try {
            root = unpickler.load(new java.io.ByteArrayInputStream(pickled));
        } catch (SafeUnpickler.Refused e) {
            throw new TorchFormatException(file, e.getMessage(), e);
        } catch (PickleException
                | ClassCastException
                | IndexOutOfBoundsException
                | NullPointerException
                | IllegalArgumentException e) {
            throw new TorchFormatException(
                    file, "malformed pickle: " + e.getClass().getSimpleName(), e);
        } catch (IOException e) { // the unpickler's own: data.pkl ends early
            throw new TorchFormatException(file, "malformed pickle: " + e.getMessage(), e);
        } catch (StackOverflowError e) {
            // A self-referencing list hashed as a dict key: no state dict refers to itself.
            throw new TorchFormatException(file, "malformed pickle: objects that contain themselves");
        }
        boolean exact = dialect == Dialect.DENSENET4J_MODULE;
        checkStorageSizes(root, file, zip, prefix, exact, maxStoredBytes);
        Map<String, byte[]> storages = new HashMap<>();
        return materialise(root, file, zip, prefix, storages, 0, exact, new int[1]);
    }

    /**
     * Reads a state dict: the file's top-level map, or the map under {@code net}, {@code state_dict} or
     * {@code model} (training checkpoints), keeping only tensors.
     */
    public static Map<String, TorchTensor> readStateDict(Path file) throws IOException {
        return readStateDict(file, Double.MAX_VALUE);
    }

    /** As {@link #readStateDict(Path)}, refusing files whose storages declare more than {@code maxStoredBytes}. */
    public static Map<String, TorchTensor> readStateDict(Path file, double maxStoredBytes) throws IOException {
        Object root = read(file, Dialect.STATE_DICT, maxStoredBytes);
        Map<String, TorchTensor> tensors = tensorsOf(root);
        if (tensors.isEmpty() && root instanceof Map<?, ?> m) {
            for (String key : List.of("net", "state_dict", "model")) {
                if (m.get(key) instanceof Map<?, ?>) {
                    tensors = tensorsOf(m.get(key));
                    if (!tensors.isEmpty()) {
                        break;
                    }
                }
            }
        }
        if (tensors.isEmpty()) {
            throw new TorchFormatException(
                    file,
                    "holds no state dict (no tensors at the top level or under " + "'net', 'state_dict' or 'model')");
        }
        return tensors;
    }

    private static Map<String, TorchTensor> tensorsOf(Object o) {
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() instanceof TorchTensor t) {
                    out.put(String.valueOf(e.getKey()), t);
                }
            }
        }
        return out;
    }

    /** The file as a zip, or an error naming it: the legacy (pre-1.6) format, or not a zip at all. */
    public static ZipFile openZip(Path file) throws IOException {
        ZipNames.requireNoSpecialFile(file);
        byte[] head = new byte[2];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, 2);
            if (n == 2 && (head[0] & 0xff) == 0x80) {
                throw new TorchFormatException(
                        file,
                        "legacy (non-zip) torch.save format from PyTorch < 1.6 is "
                                + "not supported; re-save it with torch.save(obj, path) in PyTorch 1.6 or later");
            }
        }
        try {
            return ZipNames.open(file);
        } catch (ZipException e) {
            throw new TorchFormatException(
                    file,
                    "not a torch.save zip archive (" + e.getMessage()
                            + "); the file may be truncated or of another kind",
                    e);
        }
    }

    /** The one entry named {@code suffix} (at the top or in a folder); two are a second root, refused. */
    private static ZipEntry findEntry(Path file, ZipFile zip, String suffix) throws TorchFormatException {
        ZipEntry found = null;
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            ZipEntry e = entries.nextElement();
            String name = e.getName();
            if (name.equals(suffix) || name.endsWith("/" + suffix)) {
                if (found != null) {
                    throw new TorchFormatException(
                            file, "holds two " + suffix + " entries; torch.save writes one archive folder");
                }
                found = e;
            }
        }
        return found;
    }

    /** torch.save writes every entry into one folder: entries elsewhere are not part of the file. */
    private static void requireOneRoot(Path file, ZipFile zip, String prefix) throws TorchFormatException {
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            String name = entries.nextElement().getName();
            if (!name.startsWith(prefix)) {
                throw new TorchFormatException(file, "holds an entry outside its archive folder '" + prefix + "'");
            }
        }
    }

    private static Object materialise(
            Object o,
            Path file,
            ZipFile zip,
            String prefix,
            Map<String, byte[]> storages,
            int depth,
            boolean exact,
            int[] visited)
            throws IOException {
        checkDepth(file, depth);
        checkVisits(file, visited);
        if (o instanceof SafeUnpickler.TensorRef t) {
            if (exact) {
                checkWholeStorage(t, file);
            }
            return toTensor(t, file, zip, prefix, storages, exact);
        }
        if (o instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(e.getKey(), materialise(e.getValue(), file, zip, prefix, storages, depth + 1, exact, visited));
            }
            return out;
        }
        if (o instanceof List<?> l) {
            Object[] out = new Object[l.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = materialise(l.get(i), file, zip, prefix, storages, depth + 1, exact, visited);
            }
            return Arrays.asList(out);
        }
        if (o instanceof Object[] a) {
            return materialise(Arrays.asList(a), file, zip, prefix, storages, depth + 1, exact, visited);
        }
        return o;
    }

    /**
     * Checks every storage the pickle names against the archive before any is read: its entry must exist, hold
     * the bytes its header declares, not be a zip bomb, and all of them together must fit in the Java heap
     * (with the float copies reading makes).
     */
    private static void checkStorageSizes(
            Object root, Path file, ZipFile zip, String prefix, boolean exact, double maxStoredBytes)
            throws IOException {
        Map<String, SafeUnpickler.StorageRef> refs = new LinkedHashMap<>();
        collectStorages(root, refs, file, 0, exact, new int[1]);
        double declared = 0;
        for (SafeUnpickler.StorageRef s : refs.values()) {
            declared += Math.max(0, (double) s.elements()) * s.type().bytes;
        }
        if (declared > maxStoredBytes) {
            throw new TorchFormatException(
                    file,
                    "its storages declare " + MemoryBudget.format(declared) + ", more than the "
                            + MemoryBudget.format(maxStoredBytes) + " the model it should hold needs");
        }
        double total = 0;
        for (SafeUnpickler.StorageRef s : refs.values()) {
            if (s.elements() < 0) {
                throw new TorchFormatException(file, "storage " + s.key() + " declares " + s.elements() + " elements");
            }
            double bytes = (double) s.elements() * s.type().bytes;
            if (bytes > Integer.MAX_VALUE - 16) {
                throw new TorchFormatException(
                        file,
                        "storage " + s.key() + " declares " + s.elements() + " "
                                + s.type() + " elements (" + MemoryBudget.format(bytes)
                                + "); storages over 2 GB are not "
                                + "supported (no DenseNet tensor is that large)");
            }
            ZipEntry entry = zip.getEntry(prefix + "data/" + s.key());
            if (entry == null) {
                throw new TorchFormatException(file, "storage " + s.key() + " is missing from the archive");
            }
            // torch.save writes each storage whole: a longer entry is crafted (a shorter one is reported as too short
            // when read); densenet4j's archives are held to the exact length here.
            if (entry.getSize() > (long) bytes || (exact && entry.getSize() != (long) bytes)) {
                throw new TorchFormatException(
                        file,
                        "storage " + s.key() + " holds " + entry.getSize() + " bytes but its tensor needs exactly "
                                + (long) bytes + " (" + s.elements() + " " + s.type() + " elements)");
            }
            long compressed = entry.getCompressedSize();
            if (entry.getMethod() != ZipEntry.STORED
                    && bytes > (1 << 20)
                    && compressed >= 0
                    && bytes > (double) MAX_COMPRESSION_RATIO * compressed) {
                throw new TorchFormatException(
                        file,
                        "storage " + s.key() + " declares " + MemoryBudget.format(bytes)
                                + " compressed into " + compressed + " bytes (over " + MAX_COMPRESSION_RATIO
                                + "x); torch.save "
                                + "stores tensors uncompressed: refusing a likely zip bomb");
            }
            total += bytes * (1 + 4.0 / s.type().bytes); // the raw bytes and the float copy
        }
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (total > 0.8 * free) {
            throw new TorchFormatException(
                    file,
                    "its " + refs.size() + " storages declare " + MemoryBudget.format(total)
                            + " to read, more than the Java heap has free (" + MemoryBudget.format(free) + "); give the"
                            + " JVM more memory (-Xmx) if the file is genuine");
        }
    }

    /**
     * Refuses walking more objects than any state dict holds: a pickle can share one list many times over (a list of
     * two references to a list of two references to ...), which a walk would visit exponentially often.
     */
    private static void checkVisits(Path file, int[] visited) throws TorchFormatException {
        if (++visited[0] > MAX_OBJECTS) {
            throw new TorchFormatException(
                    file, "holds more than " + MAX_OBJECTS + " objects (counting shared ones each time they are used)");
        }
    }

    /** The zip's checksum of an entry read whole: damaged weights are refused, not used. */
    private static void checkCrc(Path file, ZipEntry entry, byte[] data, int length) throws TorchFormatException {
        if (entry.getCrc() < 0) {
            return;
        }
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(data, 0, length);
        if (crc.getValue() != entry.getCrc()) {
            throw new TorchFormatException(file, entry.getName() + " is damaged (its checksum does not match)");
        }
    }

    /** Refuses nesting no state dict has, before recursing any deeper. */
    private static void checkDepth(Path file, int depth) throws TorchFormatException {
        if (depth > MAX_DEPTH) {
            throw new TorchFormatException(
                    file,
                    "objects nested more than " + MAX_DEPTH + " levels deep; a state "
                            + "dict is nested 1 or 2 levels");
        }
    }

    private static void collectStorages(
            Object o, Map<String, SafeUnpickler.StorageRef> refs, Path file, int depth, boolean exact, int[] visited)
            throws TorchFormatException {
        checkDepth(file, depth);
        checkVisits(file, visited);
        if (o instanceof SafeUnpickler.TensorRef t) {
            SafeUnpickler.StorageRef known = refs.putIfAbsent(t.storage().key(), t.storage());
            if (known != null && (exact || !known.equals(t.storage()))) {
                throw new TorchFormatException(
                        file,
                        "storage " + known.key() + " is declared twice"
                                + (exact
                                        ? "; every tensor densenet4j writes has a storage of its own"
                                        : ", differently"));
            }
        } else if (o instanceof Map<?, ?> m) {
            for (Object v : m.values()) {
                collectStorages(v, refs, file, depth + 1, exact, visited);
            }
        } else if (o instanceof List<?> l) {
            for (Object v : l) {
                collectStorages(v, refs, file, depth + 1, exact, visited);
            }
        } else if (o instanceof Object[] a) {
            for (Object v : a) {
                collectStorages(v, refs, file, depth + 1, exact, visited);
            }
        }
    }

    /** A tensor densenet4j writes starts its storage, is contiguous and covers the storage exactly. */
    private static void checkWholeStorage(SafeUnpickler.TensorRef t, Path file) throws TorchFormatException {
        long expected = 1;
        boolean contiguous = t.offset() == 0 && t.shape().length == t.stride().length;
        for (int d = t.shape().length - 1; d >= 0 && contiguous; d--) {
            if (t.shape()[d] < 0 || t.stride()[d] != expected) {
                contiguous = false;
            } else {
                expected = multiplyOrMinus(expected, t.shape()[d]);
                contiguous = expected >= 0;
            }
        }
        if (!contiguous || expected != t.storage().elements()) {
            throw new TorchFormatException(
                    file,
                    "tensor of shape " + Arrays.toString(t.shape()) + ", strides " + Arrays.toString(t.stride())
                            + " at offset " + t.offset() + " over storage "
                            + t.storage().key() + " of "
                            + t.storage().elements() + " elements: densenet4j writes each tensor contiguous, from "
                            + "offset 0, filling its storage");
        }
    }

    private static long multiplyOrMinus(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    private static TorchTensor toTensor(
            SafeUnpickler.TensorRef t,
            Path file,
            ZipFile zip,
            String prefix,
            Map<String, byte[]> storages,
            boolean exact)
            throws IOException {
        SafeUnpickler.StorageRef s = t.storage();
        byte[] raw = storages.get(s.key());
        if (raw == null) {
            ZipEntry entry = zip.getEntry(prefix + "data/" + s.key());
            try (InputStream in = zip.getInputStream(entry)) {
                // Only the declared bytes: an entry holding more (or inflating to more) is not read on.
                raw = in.readNBytes((int) (s.elements() * s.type().bytes));
                if (in.read() != -1) {
                    throw new TorchFormatException(
                            file, "storage " + s.key() + " holds more bytes than its zip entry declares");
                }
                checkCrc(file, entry, raw, raw.length);
            }
            storages.put(s.key(), raw);
        }
        long available = raw.length / s.type().bytes;
        if (available < s.elements()) {
            throw new TorchFormatException(
                    file,
                    "storage " + s.key() + " holds " + available + " elements but " + "its header says "
                            + s.elements());
        }
        if (t.shape().length != t.stride().length) {
            throw new TorchFormatException(
                    file,
                    "tensor of shape " + Arrays.toString(t.shape()) + " has strides " + Arrays.toString(t.stride()));
        }
        long count = 1;
        long last = t.offset();
        for (int d = 0; d < t.shape().length; d++) {
            if (t.shape()[d] < 0 || (t.shape()[d] > 0 && t.stride()[d] < 0)) {
                throw new TorchFormatException(file, "tensor with invalid shape " + Arrays.toString(t.shape()));
            }
            count = multiplyOrMinus(count, t.shape()[d]);
            long reach = multiplyOrMinus(Math.max(0, t.shape()[d] - 1), t.stride()[d]);
            if (count < 0 || reach < 0 || last > Long.MAX_VALUE - reach) {
                throw new TorchFormatException(
                        file,
                        "tensor of shape " + Arrays.toString(t.shape()) + " and strides " + Arrays.toString(t.stride())
                                + " overflows");
            }
            last += reach;
        }
        if (count > 0 && (t.offset() < 0 || last >= available)) {
            throw new TorchFormatException(
                    file,
                    "tensor of shape " + Arrays.toString(t.shape()) + " at offset "
                            + t.offset() + " needs storage element " + last + " but storage " + s.key() + " holds only "
                            + available + " elements");
        }
        if (count > Integer.MAX_VALUE) {
            throw new TorchFormatException(file, "tensor of shape " + Arrays.toString(t.shape()) + " is too large");
        }
        ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[(int) count];
        int rank = t.shape().length;
        long[] index = new long[rank];
        for (int i = 0; i < out.length; i++) {
            long pos = t.offset();
            for (int d = 0; d < rank; d++) {
                pos += index[d] * t.stride()[d];
            }
            out[i] = element(buf, s.type(), pos);
            for (int d = rank - 1; d >= 0; d--) {
                if (++index[d] < t.shape()[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        return new TorchTensor(
                t.shape(),
                out,
                s.type() != StorageType.FLOAT32
                        && s.type() != StorageType.FLOAT16
                        && s.type() != StorageType.FLOAT64
                        && s.type() != StorageType.BFLOAT16);
    }

    private static float element(ByteBuffer b, StorageType type, long index) {
        int at = (int) (index * type.bytes);
        return switch (type) {
            case FLOAT32 -> b.getFloat(at);
            case FLOAT16 -> halfToFloat(b.getShort(at));
            case FLOAT64 -> (float) b.getDouble(at);
            case INT64 -> b.getLong(at);
            case INT32 -> b.getInt(at);
            case UINT8, BOOL -> b.get(at) & 0xff;
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
        };
    }

    /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float value = mantissa * 0x1p-24f; // subnormal
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
