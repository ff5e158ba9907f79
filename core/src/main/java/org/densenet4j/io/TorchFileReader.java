package org.densenet4j.io;

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
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

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

    /** Storage types by the name PyTorch pickles them under, with their element size. */
    private static final Map<String, StorageType> STORAGES = Map.of(
            "FloatStorage", StorageType.FLOAT32, "HalfStorage", StorageType.FLOAT16,
            "DoubleStorage", StorageType.FLOAT64, "LongStorage", StorageType.INT64,
            "IntStorage", StorageType.INT32, "ByteStorage", StorageType.UINT8, "BoolStorage", StorageType.BOOL);

    private TorchFileReader() {}

    /** A storage class; the pickle names it (as a global) inside each tensor's persistent id. */
    enum StorageType implements IObjectConstructor {
        FLOAT32(4), FLOAT16(2), FLOAT64(8), INT64(8), INT32(4), UINT8(1), BOOL(1);

        final int bytes;

        StorageType(int bytes) {
            this.bytes = bytes;
        }

        @Override
        public Object construct(Object[] args) {
            return this;
        }
    }

    /** A storage named by a persistent id: which zip entry, of which type, how many elements. */
    private record StorageRef(StorageType type, String key, long elements) {}

    /** A tensor view over a storage, as {@code _rebuild_tensor_v2} describes it. */
    private record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {}

    /**
     * Reads the file and returns the object it holds, with every tensor materialised as a {@link
     * TorchTensor}: maps stay maps (in file order), lists stay lists, numbers and strings stay.
     *
     * @throws TorchFormatException naming the file and the problem
     */
    public static Object read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file + ": no such file");
        }
        try (ZipFile zip = openZip(file)) {
            ZipEntry pickle = findEntry(zip, "data.pkl");
            if (pickle == null) {
                throw new TorchFormatException(file, "zip archive without data.pkl: not a torch.save file");
            }
            String prefix = pickle.getName().substring(0, pickle.getName().length() - "data.pkl".length());
            Object root;
            SafeUnpickler unpickler = new SafeUnpickler(file);
            try (InputStream in = zip.getInputStream(pickle)) {
                root = unpickler.load(in);
            } catch (Refused e) {
                throw new TorchFormatException(file, e.getMessage(), e);
            } catch (PickleException | ClassCastException | IndexOutOfBoundsException e) {
                throw new TorchFormatException(file, "malformed pickle: " + e.getMessage(), e);
            }
            Map<String, byte[]> storages = new HashMap<>();
            return materialise(root, file, zip, prefix, storages);
        }
    }

    /**
     * Reads a state dict: the file's top-level map, or the map under {@code net}, {@code state_dict} or
     * {@code model} (training checkpoints), keeping only tensors.
     */
    public static Map<String, TorchTensor> readStateDict(Path file) throws IOException {
        Object root = read(file);
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
            throw new TorchFormatException(file, "holds no state dict (no tensors at the top level or under "
                    + "'net', 'state_dict' or 'model')");
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

    private static ZipFile openZip(Path file) throws IOException {
        byte[] head = new byte[2];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, 2);
            if (n == 2 && (head[0] & 0xff) == 0x80) {
                throw new TorchFormatException(file, "legacy (non-zip) torch.save format from PyTorch < 1.6 is "
                        + "not supported; re-save it with torch.save(obj, path) in PyTorch 1.6 or later");
            }
        }
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new TorchFormatException(file, "not a torch.save zip archive (" + e.getMessage()
                    + "); the file may be truncated or of another kind", e);
        }
    }

    private static ZipEntry findEntry(ZipFile zip, String suffix) {
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            ZipEntry e = entries.nextElement();
            String name = e.getName();
            if (name.equals(suffix) || name.endsWith("/" + suffix)) {
                return e;
            }
        }
        return null;
    }

    private static Object materialise(Object o, Path file, ZipFile zip, String prefix, Map<String, byte[]> storages)
            throws IOException {
        if (o instanceof TensorRef t) {
            return toTensor(t, file, zip, prefix, storages);
        }
        if (o instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(e.getKey(), materialise(e.getValue(), file, zip, prefix, storages));
            }
            return out;
        }
        if (o instanceof List<?> l) {
            Object[] out = new Object[l.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = materialise(l.get(i), file, zip, prefix, storages);
            }
            return Arrays.asList(out);
        }
        if (o instanceof Object[] a) {
            return materialise(Arrays.asList(a), file, zip, prefix, storages);
        }
        return o;
    }

    private static TorchTensor toTensor(TensorRef t, Path file, ZipFile zip, String prefix,
            Map<String, byte[]> storages) throws IOException {
        StorageRef s = t.storage();
        byte[] raw = storages.get(s.key());
        if (raw == null) {
            ZipEntry entry = zip.getEntry(prefix + "data/" + s.key());
            if (entry == null) {
                throw new TorchFormatException(file, "storage " + s.key() + " is missing from the archive");
            }
            try (InputStream in = zip.getInputStream(entry)) {
                raw = in.readAllBytes();
            }
            storages.put(s.key(), raw);
        }
        long available = raw.length / s.type().bytes;
        if (available < s.elements()) {
            throw new TorchFormatException(file, "storage " + s.key() + " holds " + available + " elements but "
                    + "its header says " + s.elements());
        }
        long count = 1;
        long last = t.offset();
        for (int d = 0; d < t.shape().length; d++) {
            if (t.shape()[d] < 0 || (t.shape()[d] > 0 && t.stride()[d] < 0)) {
                throw new TorchFormatException(file, "tensor with invalid shape " + Arrays.toString(t.shape()));
            }
            count *= t.shape()[d];
            last += (t.shape()[d] - 1) * t.stride()[d];
        }
        if (count > 0 && (t.offset() < 0 || last >= available)) {
            throw new TorchFormatException(file, "tensor of shape " + Arrays.toString(t.shape()) + " at offset "
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
        return new TorchTensor(t.shape(), out);
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

    /** A pickle asked for something a state dict never needs. */
    private static final class Refused extends PickleException {
        Refused(String message) {
            super(message);
        }
    }

    /** An unpickler that allows only the globals of a state dict and refuses object-building opcodes. */
    private static final class SafeUnpickler extends Unpickler {
        private final Path file;

        SafeUnpickler(Path file) {
            this.file = file;
        }

        @Override
        protected Object dispatch(short key) throws PickleException, IOException {
            switch (key) {
                case Opcodes.GLOBAL -> {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    stack.add(allowedGlobal(module, name));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.STACK_GLOBAL -> {
                    Object name = stack.pop();
                    Object module = stack.pop();
                    stack.add(allowedGlobal(String.valueOf(module), String.valueOf(name)));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.BUILD -> {
                    // State set on an object after construction: for OrderedDict it is only PyTorch's
                    // _metadata (version numbers of modules), which loading does not need.
                    stack.pop();
                    return NO_RETURN_VALUE;
                }
                case Opcodes.INST, Opcodes.OBJ, Opcodes.NEWOBJ, Opcodes.NEWOBJ_EX, Opcodes.EXT1, Opcodes.EXT2,
                        Opcodes.EXT4, Opcodes.PERSID -> throw new Refused("refused pickle opcode " + key
                        + ": a state dict never needs it; nothing was executed");
                default -> {
                    return super.dispatch(key);
                }
            }
        }

        private IObjectConstructor allowedGlobal(String module, String name) {
            String qualified = module + "." + name;
            if (module.equals("torch") && STORAGES.containsKey(name)) {
                return STORAGES.get(name);
            }
            return switch (qualified) {
                case "collections.OrderedDict" -> args -> new LinkedHashMap<>();
                case "torch._utils._rebuild_tensor_v2" -> args -> new TensorRef((StorageRef) args[0],
                        toLong(args[1]), longs(args[2]), longs(args[3]));
                case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> args -> args[0];
                default -> throw new Refused("refused global " + qualified
                        + ": only state-dict globals (collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
                        + "torch._utils._rebuild_parameter, torch.*Storage) are allowed; nothing was executed");
            };
        }

        @Override
        protected Object persistentLoad(Object pid) {
            Object[] t = (Object[]) pid;
            if (t.length != 5 || !"storage".equals(t[0]) || !(t[1] instanceof StorageType type)) {
                throw new Refused("unsupported persistent id " + Arrays.deepToString(t)
                        + " (expected ('storage', torch.<Type>Storage, key, location, numel))");
            }
            return new StorageRef(type, String.valueOf(t[2]), toLong(t[4]));
        }

        private static long toLong(Object o) {
            return ((Number) o).longValue();
        }

        private static long[] longs(Object o) {
            Object[] a = (Object[]) o;
            long[] out = new long[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = toLong(a[i]);
            }
            return out;
        }
    }
}
