package org.densenet4j.torch;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;
import org.densenet4j.torch.TorchFileReader.Dialect;
import org.densenet4j.torch.TorchFileReader.ModuleState;
import org.densenet4j.torch.TorchFileReader.StorageType;

/**
 * An unpickler that allows only the globals of its dialect and refuses object-building opcodes; in a module's
 * state, the one object it builds is the {@code __torch__.DenseNet} whose attributes {@code BUILD} sets.
 */
final class SafeUnpickler extends Unpickler {
    /** Storage types by the name PyTorch pickles them under, with their element size. */
    private static final Map<String, StorageType> STORAGES = Map.of(
            "FloatStorage",
            StorageType.FLOAT32,
            "HalfStorage",
            StorageType.FLOAT16,
            "DoubleStorage",
            StorageType.FLOAT64,
            "LongStorage",
            StorageType.INT64,
            "IntStorage",
            StorageType.INT32,
            "ByteStorage",
            StorageType.UINT8,
            "BoolStorage",
            StorageType.BOOL,
            "BFloat16Storage",
            StorageType.BFLOAT16);

    /** A storage named by a persistent id: which zip entry, of which type, how many elements. */
    record StorageRef(StorageType type, String key, long elements) {}

    /** A tensor view over a storage, as {@code _rebuild_tensor_v2} describes it. */
    record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {}

    /** A pickle asked for something a state dict never needs. */
    static final class Refused extends PickleException {
        Refused(String message) {
            super(message);
        }
    }

    /** The TorchScript types densenet4j's module attributes have. */
    /** The types densenet4j's modules tag their lists with (the last: an int8 module's prepacked convolutions). */
    private static final Set<Object> TYPE_TAGS = Set.of(
            "List[Tensor]", "List[List[Tensor]]", "List[__torch__.torch.classes.quantized.Conv2dPackedParamsBase]");

    /** What {@code __torch__.DenseNet} unpickles to: only {@code NEWOBJ} with no arguments may call it. */
    private static final IObjectConstructor MODULE_CLASS = args -> {
        throw new Refused("__torch__.DenseNet called with arguments; densenet4j's archives build it empty");
    };

    private final Dialect dialect;
    /** How many MARK opcodes the pickle has run. */
    private long marks;

    SafeUnpickler(Dialect dialect) {
        this.dialect = dialect;
    }

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
        switch (key) {
            case Opcodes.MARK -> {
                // each mark costs memory before any object exists: a pickle of marks alone could fill the heap
                if (++marks > TorchFileReader.MAX_OBJECTS) {
                    throw new Refused("data.pkl opens more than " + TorchFileReader.MAX_OBJECTS + " tuples or lists; "
                            + "a state dict never needs that many");
                }
                return super.dispatch(key);
            }
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
                // _metadata (version numbers of modules), which loading does not need; for the scripted
                // module, its attributes.
                Object state = stack.pop();
                if (stack.peek() instanceof ModuleState module) {
                    if (!module.isEmpty() || !(state instanceof Map<?, ?> attributes)) {
                        throw new Refused("the module's state is set twice, or is not a dict of attributes");
                    }
                    module.putAll(attributes);
                }
                return NO_RETURN_VALUE;
            }
            case Opcodes.NEWOBJ -> {
                Object args = stack.pop();
                Object cls = stack.pop();
                if (cls != MODULE_CLASS || !(args instanceof Object[] a) || a.length != 0) {
                    throw new Refused("refused pickle opcode NEWOBJ on a " + kind(cls)
                            + ": only densenet4j's __torch__.DenseNet is built that way; nothing was executed");
                }
                stack.add(new ModuleState());
                return NO_RETURN_VALUE;
            }
            case Opcodes.BINSTRING, Opcodes.BINUNICODE, Opcodes.BINBYTES, Opcodes.LONG4 -> {
                checkDeclaredLength(key, 4);
                return super.dispatch(key);
            }
            case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8, Opcodes.FRAME -> {
                checkDeclaredLength(key, 8);
                return super.dispatch(key);
            }
            case Opcodes.INT, Opcodes.LONG, Opcodes.FLOAT -> throw new Refused(
                    "refused pickle opcode " + key + " (a number as text): torch.save's pickles write numbers in "
                            + "binary, and parsing long text numbers takes quadratic time");
            case Opcodes.INST,
                    Opcodes.OBJ,
                    Opcodes.NEWOBJ_EX,
                    Opcodes.EXT1,
                    Opcodes.EXT2,
                    Opcodes.EXT4,
                    Opcodes.PERSID -> throw new Refused(
                    "refused pickle opcode " + key + ": a state dict never needs it; nothing was executed");
            default -> {
                return super.dispatch(key);
            }
        }
    }

    /**
     * Checks the little-endian length that follows a length-prefixed opcode against the bytes left in
     * data.pkl, before the unpickler allocates that many (the pickle is held in memory, so what is left is
     * exact).
     */
    private void checkDeclaredLength(short key, int width) throws IOException {
        input.mark(width);
        byte[] raw = input.readNBytes(width);
        input.reset();
        if (raw.length < width) {
            throw new Refused("data.pkl ends inside the length of opcode " + key);
        }
        long length = 0;
        for (int i = width - 1; i >= 0; i--) {
            length = (length << 8) | (raw[i] & 0xff);
        }
        long left = input.available() - width;
        if (length < 0 || length > left) {
            throw new Refused("data.pkl declares a " + length + "-byte value (opcode " + key + ") but only " + left
                    + " bytes follow: truncated or crafted");
        }
    }

    private IObjectConstructor allowedGlobal(String module, String name) {
        String qualified = module + "." + name;
        if (module.equals("torch") && STORAGES.containsKey(name)) {
            return STORAGES.get(name);
        }
        if (dialect == Dialect.DENSENET4J_MODULE) {
            switch (qualified) {
                case "__torch__.DenseNet" -> {
                    return MODULE_CLASS;
                }
                    // restore_type_tag(value, "List[Tensor]") and build_tensorlist([...]) return their value.
                case "torch.jit._pickle.restore_type_tag" -> {
                    return args -> {
                        if (args.length != 2 || !(args[1] instanceof String tag) || !TYPE_TAGS.contains(tag)) {
                            throw new Refused("restore_type_tag with " + args.length
                                    + " arguments; densenet4j tags tensor lists only");
                        }
                        return args[0];
                    };
                }
                case "torch.jit._pickle.build_tensorlist" -> {
                    return args -> {
                        if (args.length != 1 || !(args[0] instanceof List<?>)) {
                            throw new Refused("build_tensorlist takes one list");
                        }
                        return args[0];
                    };
                }
                default -> {
                    if (!qualified.equals("collections.OrderedDict")
                            && !qualified.equals("torch._utils._rebuild_tensor_v2")) {
                        throw new Refused("refused global " + qualified + ": a densenet4j TorchScript archive's "
                                + "state names only __torch__.DenseNet, torch.jit._pickle's type tags and tensor "
                                + "lists, and tensors; nothing was executed");
                    }
                }
            }
        }
        return switch (qualified) {
            case "collections.OrderedDict" -> args -> new LinkedHashMap<>();
            case "torch._utils._rebuild_tensor_v2" -> args ->
                    new TensorRef((StorageRef) args[0], toLong(args[1]), longs(args[2]), longs(args[3]));
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> args -> args[0];
            default -> throw new Refused("refused global " + qualified
                    + ": only state-dict globals (collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
                    + "torch._utils._rebuild_parameter, torch.*Storage) are allowed; nothing was executed");
        };
    }

    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[] t)
                || t.length != 5
                || !"storage".equals(t[0])
                || !(t[1] instanceof StorageType type)
                || !(t[2] instanceof String key)
                || !(t[4] instanceof Number elements)) {
            throw new Refused("unsupported persistent id, a " + kind(pid)
                    + " (expected ('storage', torch.<Type>Storage, key, location, numel))");
        }
        return new StorageRef(type, key, elements.longValue());
    }

    /** What an object from the file is, for a message: never the object itself, which may contain itself. */
    private static String kind(Object o) {
        return o == null
                ? "None"
                : o instanceof Object[] a
                        ? "tuple of " + a.length
                        : o.getClass().getSimpleName();
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
