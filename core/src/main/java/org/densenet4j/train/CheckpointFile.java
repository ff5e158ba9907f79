package org.densenet4j.train;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.io.AtomicFile;
import org.densenet4j.io.MemoryBudget;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;

/**
 * The densenet4j checkpoint format: a zip holding {@code checkpoint.json} (model, preprocessing,
 * training state), {@code parameters.djl} (DJL's parameter format) and, for training checkpoints,
 * {@code momentum.ndlist} (the optimizer's buffers, named by parameter).
 *
 * <p>Writes are atomic ({@link AtomicFile}): a crash at any moment leaves either the old or the new
 * checkpoint, never half of one.
 */
public final class CheckpointFile {

    static final String FORMAT = "densenet4j-checkpoint";
    static final int VERSION = 1;
    private static final String META = "checkpoint.json";
    private static final String PARAMETERS = "parameters.djl";
    private static final String MOMENTUM = "momentum.ndlist";
    /** checkpoint.json is a few kilobytes even with a long history; anything far larger is not ours. */
    private static final int META_LIMIT = 16 << 20;
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .create();

    private CheckpointFile() {}

    /** A model read back from a checkpoint: its description and its network with the weights loaded. */
    public record Loaded(Checkpoint checkpoint, DenseNet network) {}

    /** Writes a checkpoint atomically; {@code optimizer} may be null for a weights-only file. */
    public static void write(Path file, Checkpoint checkpoint, DenseNet network, NesterovSgd optimizer)
            throws IOException {
        write(file, checkpoint, network, optimizer, UnaryOperator.identity());
    }

    /** As {@link #write(Path, Checkpoint, DenseNet, NesterovSgd)}, with the stream wrapped (tests inject failures). */
    static void write(Path file, Checkpoint checkpoint, DenseNet network, NesterovSgd optimizer,
            UnaryOperator<OutputStream> wrap) throws IOException {
        AtomicFile.write(file, target -> {
            try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(wrap.apply(target)))) {
                zip.putNextEntry(new ZipEntry(META));
                zip.write(GSON.toJson(toJson(checkpoint)).getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
                zip.putNextEntry(new ZipEntry(PARAMETERS));
                DataOutputStream data = new DataOutputStream(new NonClosing(zip));
                network.saveParameters(data);
                data.flush();
                zip.closeEntry();
                if (optimizer != null) {
                    zip.putNextEntry(new ZipEntry(MOMENTUM));
                    momentumByName(network, optimizer).encode(new NonClosing(zip));
                    zip.closeEntry();
                }
            }
        });
    }

    /** Reads only the description (no arrays): cheap, for checks and model information. */
    public static Checkpoint readDescription(Path file) throws IOException {
        try (ZipFile zip = open(file)) {
            return fromJson(file, readMeta(file, zip));
        }
    }

    /**
     * Reads a checkpoint and builds its network with the stored weights, on {@code manager}.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static Loaded read(Path file, NDManager manager) throws IOException {
        try (ZipFile zip = open(file)) {
            Checkpoint c = fromJson(file, readMeta(file, zip));
            checkStoredValues(file, zip, c.spec().config());
            DenseNet network = new DenseNet(c.spec().config());
            network.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, c.spec().batchShape(1));
            loadParameters(file, zip, network, manager);
            return new Loaded(c, network);
        }
    }

    /**
     * Loads a checkpoint's weights into an initialised network of the same configuration.
     *
     * @throws IOException if the checkpoint holds another model; the message names both
     */
    public static Checkpoint loadInto(Path file, DenseNet network, NDManager manager) throws IOException {
        try (ZipFile zip = open(file)) {
            Checkpoint c = fromJson(file, readMeta(file, zip));
            if (!c.spec().config().equals(network.config())) {
                throw new IOException(file + ": holds another model (" + c.spec().modelName() + ", "
                        + c.spec().config().describe() + "); expected " + network.config().describe());
            }
            loadParameters(file, zip, network, manager);
            return c;
        }
    }

    /**
     * Checks the description against the stored tensors before the network it describes is built: the
     * network's weights must fit in this machine's memory, and parameters.djl must really hold at least as many
     * bytes as the weights need. The entry is inflated only that far, so a zip bomb costs no more than an
     * honest file of that size, and a description claiming a huge network is refused without allocating it.
     */
    private static void checkStoredValues(Path file, ZipFile zip, DenseNetConfig config) throws IOException {
        double needed = config.storedValues() * Float.BYTES;
        MemoryBudget.require(needed, file + " (" + String.format("%,.0f", config.storedValues())
                + " weights described by checkpoint.json)", "the file describes a network larger than this machine "
                + "can hold; is it damaged?");
        long held = 0;
        try (InputStream in = zip.getInputStream(require(file, zip, PARAMETERS))) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while (held < needed && (n = in.read(buffer, 0, (int) Math.min(buffer.length, needed - held))) > 0) {
                held += n;
            }
        }
        if (held < needed) {
            throw new IOException(file + ": checkpoint.json describes a network of " + String.format("%,.0f",
                    config.storedValues()) + " weights (" + MemoryBudget.format(needed) + "), but parameters.djl "
                    + "holds only " + held + " bytes: the description does not match the stored tensors");
        }
    }

    private static void loadParameters(Path file, ZipFile zip, DenseNet network, NDManager manager)
            throws IOException {
        ZipEntry params = require(file, zip, PARAMETERS);
        try (DataInputStream in = new DataInputStream(zip.getInputStream(params))) {
            network.loadParameters(manager, in);
        } catch (MalformedModelException | IOException | RuntimeException e) {
            throw new IOException(file + ": parameters do not fit the model it describes ("
                    + e.getMessage() + ")", e);
        }
    }

    /** Restores the optimizer's momentum buffers saved with the checkpoint, if any. */
    public static void restoreMomentum(Path file, DenseNet network, NesterovSgd optimizer, NDManager manager)
            throws IOException {
        try (ZipFile zip = open(file)) {
            ZipEntry entry = zip.getEntry(MOMENTUM);
            if (entry == null) {
                return;
            }
            Map<String, Parameter> byName = new HashMap<>();
            for (Pair<String, Parameter> p : network.getParameters()) {
                byName.put(p.getKey(), p.getValue());
            }
            try (InputStream in = zip.getInputStream(entry); NDManager scope = manager.newSubManager()) {
                NDList buffers = NDList.decode(scope, in);
                for (NDArray b : buffers) {
                    Parameter p = byName.get(b.getName());
                    if (p == null || !p.getArray().getShape().equals(b.getShape())) {
                        throw new IOException(file + ": momentum buffer " + b.getName()
                                + " does not match a parameter of the model");
                    }
                    optimizer.restoreMomentum(p.getId(), p.getArray(), b);
                }
            }
        }
    }

    private static NDList momentumByName(DenseNet network, NesterovSgd optimizer) {
        Map<String, NDArray> byId = optimizer.momentumBuffers();
        NDList list = new NDList();
        for (Pair<String, Parameter> p : network.getParameters()) {
            NDArray buffer = byId.get(p.getValue().getId());
            if (buffer != null) {
                buffer.setName(p.getKey());
                list.add(buffer);
            }
        }
        return list;
    }

    private static ZipFile open(Path file) throws IOException {
        try {
            return new ZipFile(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new NoSuchFileException(file + ": checkpoint not found");
        } catch (ZipException e) {
            throw new IOException(file + ": not a densenet4j checkpoint (not a zip archive: "
                    + e.getMessage() + "); it may be truncated", e);
        }
    }

    private static ZipEntry require(Path file, ZipFile zip, String name) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new IOException(file + ": not a densenet4j checkpoint (no " + name + " inside)");
        }
        return e;
    }

    private static Map<String, Object> readMeta(Path file, ZipFile zip) throws IOException {
        try (InputStream in = zip.getInputStream(require(file, zip, META))) {
            byte[] json = in.readNBytes(META_LIMIT + 1);
            if (json.length > META_LIMIT) {
                throw new IOException(file + ": checkpoint.json is larger than " + (META_LIMIT >> 20)
                        + " MB; a densenet4j checkpoint's is a few kilobytes");
            }
            Map<String, Object> m = GSON.fromJson(new String(json, StandardCharsets.UTF_8),
                    new TypeToken<Map<String, Object>>() {}.getType());
            if (m == null || !FORMAT.equals(m.get("format"))) {
                throw new IOException(file + ": not a densenet4j checkpoint (format field is "
                        + (m == null ? "missing" : m.get("format")) + ")");
            }
            Number version = (Number) m.get("version");
            if (version == null || version.intValue() != VERSION) {
                throw new IOException(file + ": checkpoint format version " + version + " is not supported (expected "
                        + VERSION + ")");
            }
            return m;
        } catch (JsonParseException | ClassCastException e) {
            throw new IOException(file + ": corrupt checkpoint.json: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> toJson(Checkpoint c) {
        ModelSpec s = c.spec();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", VERSION);
        m.put("model", Map.of("name", s.modelName(), "config", s.config().describe()));
        m.put("input", Map.of("channels", s.channels(), "height", s.height(), "width", s.width()));
        m.put("classes", s.classNames());
        m.put("normalization", Map.of("mean", s.normalization().mean(), "std", s.normalization().std()));
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("epochsCompleted", c.epochsCompleted());
        training.put("dataset", c.dataset());
        training.put("recipe", c.recipe());
        training.put("history", c.history());
        m.put("training", training);
        return m;
    }

    @SuppressWarnings("unchecked")
    private static Checkpoint fromJson(Path file, Map<String, Object> m) throws IOException {
        try {
            Map<String, Object> model = (Map<String, Object>) m.get("model");
            DenseNetConfig config = DenseNetConfig.fromDescription((Map<String, Object>) model.get("config"));
            Map<String, Object> input = (Map<String, Object>) m.get("input");
            Map<String, Object> norm = (Map<String, Object>) m.get("normalization");
            ModelSpec spec = new ModelSpec((String) model.get("name"), config,
                    ((Number) input.get("height")).intValue(), ((Number) input.get("width")).intValue(),
                    (List<String>) m.get("classes"),
                    new Normalization(floats((List<Number>) norm.get("mean")), floats((List<Number>) norm.get("std"))));
            Map<String, Object> training = (Map<String, Object>) m.get("training");
            TrainingRecipe recipe = GSON.fromJson(GSON.toJsonTree(training.get("recipe")), TrainingRecipe.class);
            List<EpochMetrics> history = GSON.fromJson(GSON.toJsonTree(training.get("history")),
                    new TypeToken<List<EpochMetrics>>() {}.getType());
            return new Checkpoint(spec, ((Number) training.get("epochsCompleted")).intValue(),
                    (String) training.get("dataset"), recipe, history);
        } catch (RuntimeException e) {
            throw new IOException(file + ": incomplete or corrupt checkpoint.json (" + e.getMessage() + ")", e);
        }
    }

    private static float[] floats(List<Number> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }

    /** Lets DJL's writers close their stream without closing the zip entry under it. */
    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
