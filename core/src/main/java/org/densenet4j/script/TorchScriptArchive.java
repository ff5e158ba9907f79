package org.densenet4j.script;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.densenet4j.base.MemoryBudget;
import org.densenet4j.base.StrictJson;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.torch.TorchFileReader;
import org.densenet4j.torch.TorchFormatException;
import org.densenet4j.torch.TorchTensor;

/**
 * Reads a TorchScript archive that densenet4j wrote ({@link TorchScriptExport}) as data, never as code: nothing in it
 * reaches libtorch's TorchScript loader, which would run its code and trust its tensors' offsets.
 *
 * <p>The archive must be exactly what the exporter writes: one root folder; the entries {@code version}, {@code
 * constants.pkl}, {@code code/__torch__.py}, {@code data.pkl}, the four {@code extra/} files (five for int8, whose
 * {@code extra/calibration.json} holds its activation ranges) and one {@code data/N} per tensor, no other and none
 * twice; {@code data.pkl} read by the safe unpickler admitting only the module class,
 * torch.jit's tensor lists and whole, contiguous tensors, each storage exactly as long as its tensor; every stage's
 * tensors of the shapes the described configuration needs. The code is never read: densenet4j compiles its own
 * ({@link ScriptedModel#compile}), so an archive's code can neither run nor make an archive of an earlier version
 * unreadable.
 */
public final class TorchScriptArchive {

    /**
     * The archive format densenet4j writes, recorded in {@code model.json}: 1 (no {@code format} field) up to commit
     * 5b36113; 2 since archives are read as data. Both are read the same way.
     */
    public static final int FORMAT = 2;

    private static final List<String> EXTRA = List.of("model.json", "classes.json", "normalization.json", "input.json");
    private static final Set<String> FIXED = Set.of(
            "version",
            "constants.pkl",
            "code/__torch__.py",
            "data.pkl",
            "extra/model.json",
            "extra/classes.json",
            "extra/normalization.json",
            "extra/input.json");
    /** The extra entry of an int8 archive, and of no other: its calibration ({@link Int8Calibration#describe}). */
    private static final String CALIBRATION = "extra/" + Int8Archive.CALIBRATION;

    private static final Pattern STORAGE = Pattern.compile("data/(0|[1-9][0-9]{0,8})");
    /** Far above densenet264's 1,400 tensors; bounds the entry table before anything else is read. */
    private static final int MAX_ENTRIES = 100_000;
    /** Each extra file and the code are a few kilobytes (1,000 class names fit in 40 KB). */
    private static final int TEXT_LIMIT = 4 << 20;

    private static final Gson GSON = new Gson();

    private TorchScriptArchive() {}

    /**
     * What an archive holds.
     *
     * @param spec the model it describes
     * @param precision the precision its weights and code compute in
     * @param format the format version it was written in
     * @param weights a float32 or bf16 archive's tensors per stage, checked against the configuration; null for int8
     * @param int8Weights an int8 archive's float32 tensors ({@link Int8Weights}), checked against the configuration;
     *     null for the others
     * @param calibration an int8 archive's calibration, checked against the configuration; null for the others
     */
    public record Contents(
            ModelSpec spec,
            Precision precision,
            int format,
            ScriptedWeights weights,
            Int8Weights int8Weights,
            Int8Calibration calibration) {

        /**
         * The DenseNet a float32 archive holds, built by densenet4j on {@code manager} with the archive's weights.
         *
         * @throws IllegalStateException for a bfloat16 archive, which holds the folded network only
         */
        public TrainedModel toTrainedModel(NDManager manager) {
            if (precision != Precision.FP32) {
                throw new IllegalStateException("a " + precision + " archive holds the folded network only");
            }
            // weights is set for every float32 archive
            DenseNet net = new DenseNet(spec.config());
            net.initialize(manager, DataType.FLOAT32, spec.batchShape(1));
            List<NDArray> parameters = net.tensors();
            List<ScriptedWeights.Entry> stored = weights.flat();
            for (int i = 0; i < parameters.size(); i++) {
                parameters.get(i).set(stored.get(i).tensor().data());
            }
            return new TrainedModel(spec, net);
        }
    }

    /** True if {@code file} looks like a TorchScript archive (a zip with a code folder), not a state dict. */
    public static boolean isArchive(Path file) {
        if (!Files.isRegularFile(file)) {
            return false; // not even opened: a pipe's open waits for a writer
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return hasCode(zip);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean hasCode(ZipFile zip) {
        try {
            return Collections.list(zip.entries()).stream()
                    .anyMatch(e -> e.getName().contains("/code/"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The precision an archive densenet4j wrote computes in, from its entries and extra files alone (its tensors are
     * not read): for choosing how to open it.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static Precision precision(Path file) throws IOException {
        try (Opened archive = open(file)) {
            return archive.precision();
        }
    }

    /**
     * Reads and checks an archive densenet4j wrote.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static Contents read(Path file) throws IOException {
        try (Opened archive = open(file)) {
            return archive.read();
        }
    }

    /**
     * Opens an archive densenet4j wrote, once: its entry names and description are checked now, its tensors read by
     * {@link Opened#read} from the same open file.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static Opened open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file + ": no such file");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw notAnArchive(file, e);
        }
        return opened(file, zip);
    }

    /**
     * As {@link #read}, or null if {@code file} is not a TorchScript archive at all ({@link #isArchive} is false), the
     * file opened once.
     *
     * @throws IOException naming the file and what is wrong with it, if it is an archive
     */
    public static Contents readIfArchive(Path file) throws IOException {
        try (Opened archive = openIfArchive(file)) {
            return archive == null ? null : archive.read();
        }
    }

    /**
     * As {@link #open}, or null if {@code file} is not a TorchScript archive at all ({@link #isArchive} is false):
     * for callers that take any model file, which then open the archive once.
     *
     * @throws IOException naming the file and what is wrong with it, if it is an archive
     */
    public static Opened openIfArchive(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null; // not even opened: a pipe's open waits for a writer
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (!hasCode(zip)) {
            zip.close();
            return null;
        }
        return opened(file, zip);
    }

    /** {@code zip}, {@code file} opened, with its entries and description checked; closed if they are refused. */
    private static Opened opened(Path file, ZipFile zip) throws IOException {
        try {
            String root = checkEntries(file, zip);
            return new Opened(file, zip, root, describe(file, zip, root));
        } catch (ZipException e) {
            zip.close();
            throw notAnArchive(file, e);
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    private static TorchFormatException notAnArchive(Path file, ZipException e) {
        return new TorchFormatException(file, "not a TorchScript archive (" + e.getMessage() + ")", e);
    }

    /**
     * An archive densenet4j wrote, open: its entry names checked and its description read; its tensors are read by
     * {@link #read}, from this open file. Closing it closes the file.
     */
    public static final class Opened implements Closeable {

        private final Path file;
        private final ZipFile zip;
        private final String root;
        private final Description description;

        private Opened(Path file, ZipFile zip, String root, Description description) {
            this.file = file;
            this.zip = zip;
            this.root = root;
            this.description = description;
        }

        /** The precision the archive computes in, from its description. */
        public Precision precision() {
            return description.precision();
        }

        /**
         * Reads and checks the archive's tensors (and an int8 archive's calibration) from the open file.
         *
         * @throws IOException naming the file and what is wrong with it
         */
        public Contents read() throws IOException {
            try {
                return TorchScriptArchive.read(file, zip, root, description);
            } catch (ZipException e) {
                throw notAnArchive(file, e);
            }
        }

        @Override
        public void close() throws IOException {
            zip.close();
        }
    }

    private static Contents read(Path file, ZipFile zip, String root, Description d) throws IOException {
        requireBytes(file, zip, root + "version", TorchScriptExport.VERSION.getBytes(StandardCharsets.UTF_8));
        requireBytes(file, zip, root + "constants.pkl", TorchScriptExport.CONSTANTS);
        text(file, zip, root + "code/__torch__.py"); // bounded, never run
        // Checked before the weights are read or a network of that size is built.
        double bytes = d.spec().config().storedValues() * Float.BYTES;
        MemoryBudget.require(
                bytes,
                file + " (" + String.format("%,.0f", d.spec().config().storedValues()) + " weights)",
                "is the archive damaged?");
        boolean calibrated = zip.getEntry(root + CALIBRATION) != null;
        if (calibrated != (d.precision() == Precision.INT8)) {
            throw new TorchFormatException(
                    file,
                    calibrated
                            ? "holds " + CALIBRATION + " but is a " + d.precision() + " archive"
                            : "is an int8 archive without its " + CALIBRATION);
        }
        Object state = TorchFileReader.read(file, zip, TorchFileReader.Dialect.DENSENET4J_MODULE, bytes + (1 << 20));
        long storages = Collections.list(zip.entries()).stream()
                .filter(e -> e.getName().startsWith(root + "data/"))
                .count();
        if (d.precision() == Precision.INT8) {
            Int8Weights weights = int8Weights(file, state);
            checkStorageCount(file, storages, weights.flat().size());
            checkHolds(file, weights.flat(), d.spec().config());
            checkInt8Shapes(file, weights, expectedInt8(d));
            String fault = weights.fault();
            if (fault != null) {
                throw new TorchFormatException(file, fault + "; densenet4j exports finite weights only");
            }
            Int8Calibration calibration;
            try {
                calibration = Int8Calibration.fromDescription(
                        StrictJson.parse(text(file, zip, root + CALIBRATION)),
                        d.spec().config());
            } catch (JsonParseException | IllegalArgumentException e) {
                throw new TorchFormatException(file, CALIBRATION + ": " + e.getMessage(), e);
            }
            return new Contents(d.spec(), d.precision(), d.format(), null, weights, calibration);
        }
        ScriptedWeights weights = weights(file, state, d.spec().config().blockLayers().length);
        checkStorageCount(file, storages, weights.flat().size());
        checkHolds(
                file,
                weights.flat().stream().map(ScriptedWeights.Entry::tensor).toList(),
                d.spec().config());
        ScriptedWeights layout = expected(d);
        checkShapes(file, weights, layout);
        return new Contents(d.spec(), d.precision(), d.format(), weights.storedAs(layout), null, null);
    }

    /**
     * Refuses an archive whose tensors hold far fewer values than the network its description names, before that
     * network is built to compare shapes: a small file cannot make densenet4j allocate a large network. Every
     * variant stores at least the convolution and classifier weights, nearly all of a DenseNet's values (folding
     * drops only BN statistics), so half the description's count is a bound no exported archive falls under.
     */
    private static void checkHolds(Path file, List<TorchTensor> tensors, DenseNetConfig config) throws IOException {
        double held = 0;
        for (TorchTensor t : tensors) {
            held += t.data().length;
        }
        if (held < config.storedValues() / 2) {
            throw new TorchFormatException(
                    file,
                    "describes a network of " + String.format("%,.0f", config.storedValues()) + " weights but "
                            + "holds " + String.format("%,.0f", held) + ": the description does not match the "
                            + "stored tensors");
        }
    }

    /** The archive's root folder, once every entry name is checked: one root, the exporter's entries, none twice. */
    private static String checkEntries(Path file, ZipFile zip) throws IOException {
        if (zip.size() > MAX_ENTRIES) {
            throw new TorchFormatException(
                    file, "holds " + zip.size() + " entries; densenet4j writes at most " + MAX_ENTRIES);
        }
        String root = null;
        Set<String> seen = new HashSet<>();
        for (ZipEntry e : Collections.list(zip.entries())) {
            String name = e.getName();
            int slash = name.indexOf('/');
            if (slash <= 0) {
                throw new TorchFormatException(file, "entry " + quoted(name) + " is outside the archive's folder");
            }
            String top = name.substring(0, slash + 1);
            if (root == null) {
                root = top;
            } else if (!root.equals(top)) {
                throw new TorchFormatException(
                        file,
                        "has two root folders (" + quoted(root) + " and " + quoted(top) + "); densenet4j writes one");
            }
            String inner = name.substring(slash + 1);
            if (!FIXED.contains(inner)
                    && !inner.equals(CALIBRATION)
                    && !STORAGE.matcher(inner).matches()) {
                throw new TorchFormatException(file, "holds entry " + quoted(name) + ", which densenet4j never writes");
            }
            if (!seen.add(inner)) {
                throw new TorchFormatException(file, "holds entry " + quoted(name) + " twice");
            }
        }
        if (root == null) {
            throw new TorchFormatException(file, "is an empty zip archive");
        }
        Set<String> missing = new LinkedHashSet<>(FIXED);
        missing.removeAll(seen);
        if (!missing.isEmpty()) {
            throw new TorchFormatException(
                    file,
                    "has no " + String.join(", ", missing)
                            + "; only TorchScript archives densenet4j exported are read");
        }
        return root;
    }

    private record Description(ModelSpec spec, Precision precision, int format) {}

    @SuppressWarnings("unchecked")
    private static Description describe(Path file, ZipFile zip, String root) throws IOException {
        Map<String, String> extra = new HashMap<>();
        for (String name : EXTRA) {
            extra.put(name, text(file, zip, root + "extra/" + name));
        }
        try {
            Map<String, Object> model =
                    GSON.fromJson(extra.get("model.json"), new TypeToken<Map<String, Object>>() {}.getType());
            Object format = model.getOrDefault("format", 1.0);
            if (!(format instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.intValue() < 1) {
                throw new TorchFormatException(
                        file, "model.json: format " + TerminalText.excerpt(format, 40) + " is not a version number");
            }
            if (n.intValue() > FORMAT) {
                throw new TorchFormatException(
                        file,
                        "written in archive format " + n.intValue() + " by a newer densenet4j; this version reads "
                                + "formats 1 to " + FORMAT);
            }
            Object precision = model.get("precision");
            Precision p = precision == null ? Precision.FP32 : Precision.parse(precision.toString());
            ModelSpec spec = ModelSpec.fromDescription(
                    model,
                    GSON.fromJson(extra.get("input.json"), Object.class),
                    GSON.fromJson(extra.get("classes.json"), Object.class),
                    GSON.fromJson(extra.get("normalization.json"), Object.class));
            return new Description(spec, p, n.intValue());
        } catch (JsonParseException | ClassCastException | NullPointerException | IllegalArgumentException e) {
            // messages quote the files' values, which may be megabytes long
            throw new TorchFormatException(
                    file, "malformed extra files (" + TerminalText.excerpt(e.getMessage(), 300) + ")", e);
        }
    }

    private static void checkStorageCount(Path file, long storages, int tensors) throws IOException {
        if (storages != tensors) {
            throw new TorchFormatException(
                    file,
                    "holds " + storages + " storages for " + tensors + " tensors; densenet4j writes one storage per "
                            + "tensor and no other");
        }
    }

    /**
     * An int8 module's attributes ({@link Int8Archive}): its four tensor lists and the list of prepacked
     * convolutions, which densenet4j writes empty (libtorch fills it at the first forward).
     */
    private static Int8Weights int8Weights(Path file, Object state) throws IOException {
        if (!(state instanceof Map<?, ?> attributes)) {
            throw new TorchFormatException(file, "data.pkl does not hold a __torch__.DenseNet module");
        }
        Set<Object> expected = new LinkedHashSet<>(List.of(
                "training", "_is_full_backward_hook", "conv_weights", "conv_biases", "norms", "classifier", "packed"));
        if (!attributes.keySet().equals(expected)) {
            throw new TorchFormatException(
                    file,
                    "the int8 module's attributes are " + attributes.keySet() + "; densenet4j writes " + expected);
        }
        if (!Boolean.FALSE.equals(attributes.get("training")) || attributes.get("_is_full_backward_hook") != null) {
            throw new TorchFormatException(file, "the module is not in eval mode as densenet4j writes it");
        }
        if (!(attributes.get("packed") instanceof List<?> packed) || !packed.isEmpty()) {
            throw new TorchFormatException(file, "packed is not the empty list densenet4j writes");
        }
        if (!(attributes.get("norms") instanceof List<?> normLists)) {
            throw new TorchFormatException(file, "norms is not a list of tensor lists");
        }
        List<List<TorchTensor>> norms = new ArrayList<>();
        for (Object norm : normLists) {
            norms.add(plain(tensors(file, norm, "norms")));
        }
        return new Int8Weights(
                plain(tensors(file, attributes.get("conv_weights"), "conv_weights")),
                plain(tensors(file, attributes.get("conv_biases"), "conv_biases")),
                norms,
                plain(tensors(file, attributes.get("classifier"), "classifier")));
    }

    private static List<TorchTensor> plain(List<ScriptedWeights.Entry> entries) {
        return entries.stream().map(ScriptedWeights.Entry::tensor).toList();
    }

    /** The tensors an int8 archive of this description holds, from a network densenet4j builds for it. */
    private static Int8Weights expectedInt8(Description d) {
        try (NDManager scratch = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(d.spec().config());
            net.initialize(scratch, DataType.FLOAT32, d.spec().batchShape(1));
            return Int8Weights.of(net);
        }
    }

    private static void checkInt8Shapes(Path file, Int8Weights actual, Int8Weights expected) throws IOException {
        checkList(file, "conv_weights", actual.convWeights(), expected.convWeights());
        checkList(file, "conv_biases", actual.convBiases(), expected.convBiases());
        if (actual.norms().size() != expected.norms().size()) {
            throw new TorchFormatException(
                    file,
                    "norms holds " + actual.norms().size() + " lists; the configuration needs "
                            + expected.norms().size());
        }
        for (int i = 0; i < expected.norms().size(); i++) {
            checkList(
                    file,
                    "norms[" + i + "]",
                    actual.norms().get(i),
                    expected.norms().get(i));
        }
        checkList(file, "classifier", actual.classifier(), expected.classifier());
    }

    private static void checkList(Path file, String what, List<TorchTensor> actual, List<TorchTensor> expected)
            throws IOException {
        if (actual.size() != expected.size()) {
            throw new TorchFormatException(
                    file, what + " holds " + actual.size() + " tensors; the configuration needs " + expected.size());
        }
        for (int i = 0; i < expected.size(); i++) {
            if (!Arrays.equals(actual.get(i).shape(), expected.get(i).shape())) {
                throw new TorchFormatException(
                        file,
                        what + " tensor " + i + " has shape "
                                + Arrays.toString(actual.get(i).shape()) + "; the configuration needs "
                                + Arrays.toString(expected.get(i).shape()));
            }
        }
    }

    /** The module's attributes as stages of tensors, refusing any attribute the exporter does not write. */
    private static ScriptedWeights weights(Path file, Object state, int blocks) throws IOException {
        if (!(state instanceof Map<?, ?> attributes)) {
            throw new TorchFormatException(file, "data.pkl does not hold a __torch__.DenseNet module");
        }
        Set<Object> expected = new LinkedHashSet<>(List.of("training", "_is_full_backward_hook", "stem_weights"));
        for (int b = 1; b <= blocks; b++) {
            expected.add("denseblock" + b);
            if (b < blocks) {
                expected.add("transition" + b);
            }
        }
        expected.add("head_weights");
        if (!attributes.keySet().stream().allMatch(k -> k instanceof String)) {
            throw new TorchFormatException(file, "the module's attribute names are not all strings");
        }
        if (!attributes.keySet().equals(expected)) {
            throw new TorchFormatException(
                    file,
                    "the module's attributes are " + attributes.keySet() + "; densenet4j writes " + expected
                            + " for the configuration model.json describes");
        }
        if (!Boolean.FALSE.equals(attributes.get("training")) || attributes.get("_is_full_backward_hook") != null) {
            throw new TorchFormatException(file, "the module is not in eval mode as densenet4j writes it");
        }
        List<List<List<ScriptedWeights.Entry>>> dense = new ArrayList<>();
        List<List<ScriptedWeights.Entry>> transitions = new ArrayList<>();
        for (int b = 1; b <= blocks; b++) {
            if (!(attributes.get("denseblock" + b) instanceof List<?> layers)) {
                throw new TorchFormatException(file, "denseblock" + b + " is not a list of layers");
            }
            List<List<ScriptedWeights.Entry>> block = new ArrayList<>();
            for (Object layer : layers) {
                block.add(tensors(file, layer, "a layer of denseblock" + b));
            }
            dense.add(block);
            if (b < blocks) {
                transitions.add(tensors(file, attributes.get("transition" + b), "transition" + b));
            }
        }
        return new ScriptedWeights(
                tensors(file, attributes.get("stem_weights"), "stem_weights"),
                dense,
                transitions,
                tensors(file, attributes.get("head_weights"), "head_weights"));
    }

    private static List<ScriptedWeights.Entry> tensors(Path file, Object list, String what) throws IOException {
        if (!(list instanceof List<?> items)) {
            throw new TorchFormatException(file, what + " is not a list of tensors");
        }
        List<ScriptedWeights.Entry> out = new ArrayList<>();
        for (Object item : items) {
            if (!(item instanceof TorchTensor t) || t.integer()) {
                throw new TorchFormatException(file, what + " holds something other than a floating-point tensor");
            }
            out.add(new ScriptedWeights.Entry(t, false));
        }
        return out;
    }

    /**
     * The weights an archive of this description holds, from a network densenet4j builds for the configuration (with
     * the exporter's own code): their shapes, and which are stored in bfloat16.
     */
    private static ScriptedWeights expected(Description d) {
        try (NDManager scratch = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(d.spec().config());
            net.initialize(scratch, DataType.FLOAT32, d.spec().batchShape(1));
            return ScriptedWeights.of(net, d.precision(), scratch);
        }
    }

    /**
     * Each stage holds as many tensors as expected, each of the expected shape; a folded pre-activation's upper bound
     * may be empty (no BN scale of that map is negative) or one per channel.
     */
    private static void checkShapes(Path file, ScriptedWeights actual, ScriptedWeights expected) throws IOException {
        if (actual.blocks().size() != expected.blocks().size()) {
            throw new TorchFormatException(
                    file,
                    actual.blocks().size() + " dense blocks, expected "
                            + expected.blocks().size());
        }
        checkStage(file, "stem_weights", actual.stem(), expected.stem());
        for (int b = 0; b < expected.blocks().size(); b++) {
            List<List<ScriptedWeights.Entry>> a = actual.blocks().get(b);
            List<List<ScriptedWeights.Entry>> e = expected.blocks().get(b);
            if (a.size() != e.size()) {
                throw new TorchFormatException(
                        file,
                        "denseblock" + (b + 1) + " holds " + a.size() + " layers; the " + "configuration has "
                                + e.size());
            }
            for (int l = 0; l < e.size(); l++) {
                checkStage(file, "denseblock" + (b + 1) + " layer " + (l + 1), a.get(l), e.get(l));
            }
            if (b < expected.transitions().size()) {
                checkStage(
                        file,
                        "transition" + (b + 1),
                        actual.transitions().get(b),
                        expected.transitions().get(b));
            }
        }
        checkStage(file, "head_weights", actual.head(), expected.head());
    }

    private static void checkStage(
            Path file, String stage, List<ScriptedWeights.Entry> actual, List<ScriptedWeights.Entry> expected)
            throws IOException {
        if (actual.size() != expected.size()) {
            throw new TorchFormatException(
                    file, stage + " holds " + actual.size() + " tensors; the configuration needs " + expected.size());
        }
        for (int i = 0; i < expected.size(); i++) {
            long[] a = actual.get(i).tensor().shape();
            long[] e = expected.get(i).tensor().shape();
            boolean emptyBound = Arrays.equals(a, new long[] {0}) && Arrays.equals(e, new long[] {0});
            boolean filledBound = Arrays.equals(e, new long[] {0})
                    && i == 1
                    && Arrays.equals(a, expected.get(0).tensor().shape());
            if (!Arrays.equals(a, e) && !emptyBound && !filledBound) {
                throw new TorchFormatException(
                        file,
                        stage + " tensor " + i + " has shape " + Arrays.toString(a) + "; the configuration needs "
                                + Arrays.toString(e));
            }
        }
    }

    private static void requireBytes(Path file, ZipFile zip, String name, byte[] expected) throws IOException {
        ZipEntry e = zip.getEntry(name);
        try (InputStream in = zip.getInputStream(e)) {
            byte[] bytes = in.readNBytes(expected.length + 1);
            if (!Arrays.equals(bytes, expected)) {
                throw new TorchFormatException(file, name + " is not what densenet4j writes");
            }
        }
    }

    private static String text(Path file, ZipFile zip, String name) throws IOException {
        ZipEntry e = zip.getEntry(name);
        try (InputStream in = zip.getInputStream(e)) {
            byte[] bytes = in.readNBytes(TEXT_LIMIT + 1);
            if (bytes.length > TEXT_LIMIT) {
                throw new TorchFormatException(file, name + " is larger than " + (TEXT_LIMIT >> 20) + " MB");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** An entry name as a message quotes it: at most 80 characters (whoever prints the message escapes it). */
    private static String quoted(String name) {
        return "'" + (name.length() > 80 ? name.substring(0, 80) + "..." : name) + "'";
    }
}
