package org.densenet4j.io;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.base.MemoryBudget;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.torch.ZipNames;

/**
 * The densenet4j checkpoint format ({@code .d4j}): a zip holding {@code checkpoint.json} (the model, its
 * preprocessing ({@link ModelSpec#describe}) and, under {@code training}, the training state ({@link TrainingState})), {@code parameters.djl} (DJL's parameter
 * format) and, for training checkpoints, {@code momentum.ndlist} (the optimizer's buffers, named by
 * parameter). This class reads and writes what inference needs; {@code train.CheckpointFile} adds the
 * training state.
 *
 * <p>Writes are atomic ({@link AtomicFile}). Reads check every size the file declares before allocating.
 */
public final class CheckpointArchive {

    static final String FORMAT = "densenet4j-checkpoint";
    static final int VERSION = 1;
    /** The entry holding the optimizer's momentum buffers, if any. */
    public static final String MOMENTUM = "momentum.ndlist";

    private static final String META = "checkpoint.json";
    private static final String PARAMETERS = "parameters.djl";
    /** checkpoint.json is a few kilobytes even with a long history; anything far larger is not ours. */
    private static final int META_LIMIT = 16 << 20;

    private static final Gson GSON = new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create();

    private CheckpointArchive() {}

    /**
     * Reads a checkpoint's model and builds its network with the stored weights, on {@code manager}; open models
     * through {@link ModelFiles#open}, which also takes PyTorch files.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    static TrainedModel read(Path file, NDManager manager) throws IOException {
        try (ZipFile zip = open(file)) {
            ModelSpec spec = spec(file, readMeta(file, zip));
            checkStoredValues(file, zip, spec.config());
            DenseNet network = new DenseNet(spec.config());
            network.initialize(manager, DataType.FLOAT32, spec.batchShape(1));
            loadParameters(file, zip, network, manager);
            return new TrainedModel(spec, network);
        }
    }

    /** The description {@code checkpoint.json} holds: the model under {@code model}, the rest as stored. */
    public record Description(ModelSpec spec, Map<String, Object> json) {}

    /** Reads only checkpoint.json (no arrays): cheap, for checks and model information. */
    public static Description readDescription(Path file) throws IOException {
        try (ZipFile zip = open(file)) {
            Map<String, Object> meta = readMeta(file, zip);
            return new Description(spec(file, meta), meta);
        }
    }

    /** The dataset the checkpoint's model was trained on (or where it was imported from), or null if it does not say. */
    public static String dataset(Path file) throws IOException {
        return TrainingState.dataset(readDescription(file).json().get(TrainingState.KEY));
    }

    /**
     * Loads a checkpoint's weights into an initialised network of the same configuration.
     *
     * @throws IOException if the checkpoint holds another model; the message names both
     */
    public static ModelSpec loadInto(Path file, DenseNet network, NDManager manager) throws IOException {
        try (ZipFile zip = open(file)) {
            ModelSpec spec = spec(file, readMeta(file, zip));
            if (!spec.config().equals(network.config())) {
                throw new IOException(file + ": holds another model (" + spec.modelName() + ", "
                        + spec.config().describe() + "); expected "
                        + network.config().describe());
            }
            loadParameters(file, zip, network, manager);
            return spec;
        }
    }

    /** The momentum buffers stored with a training checkpoint, or null; they live on {@code manager}. */
    public static NDList readMomentum(Path file, NDManager manager) throws IOException {
        try (ZipFile zip = open(file)) {
            ZipEntry entry = zip.getEntry(MOMENTUM);
            if (entry == null) {
                return null;
            }
            try (InputStream in = zip.getInputStream(entry)) {
                return NDList.decode(manager, in);
            }
        }
    }

    /** Writes a weights-only checkpoint of {@code model}, saying where it came from (an import). */
    public static void write(Path file, TrainedModel model, String source) throws IOException {
        write(file, model.spec(), TrainingState.imported(source), model.network(), null, UnaryOperator.identity());
    }

    /**
     * Writes a checkpoint atomically: the model, {@code training} as the description's training state, the
     * weights and, if not null, the momentum buffers. {@code wrap} wraps the stream (tests inject failures).
     */
    public static void write(
            Path file,
            ModelSpec spec,
            TrainingState training,
            DenseNet network,
            NDList momentum,
            UnaryOperator<OutputStream> wrap)
            throws IOException {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("version", VERSION);
        meta.putAll(spec.describe());
        meta.put(TrainingState.KEY, training.toJson());
        AtomicFile.write(file, target -> {
            try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(wrap.apply(target)))) {
                zip.putNextEntry(new ZipEntry(META));
                zip.write(GSON.toJson(meta).getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
                zip.putNextEntry(new ZipEntry(PARAMETERS));
                DataOutputStream data = new DataOutputStream(new NonClosing(zip));
                network.saveParameters(data);
                data.flush();
                zip.closeEntry();
                if (momentum != null) {
                    zip.putNextEntry(new ZipEntry(MOMENTUM));
                    momentum.encode(new NonClosing(zip));
                    zip.closeEntry();
                }
            }
        });
    }

    /**
     * Checks the description against the stored tensors before the network it describes is built: the
     * network's weights must fit in this machine's memory, and parameters.djl must really hold at least as many
     * bytes as the weights need. The entry is inflated only that far, so a zip bomb costs no more than an
     * honest file of that size, and a description claiming a huge network is refused without allocating it.
     */
    private static void checkStoredValues(Path file, ZipFile zip, DenseNetConfig config) throws IOException {
        double needed = config.storedValues() * Float.BYTES;
        MemoryBudget.require(
                needed,
                file + " (" + String.format("%,.0f", config.storedValues()) + " weights described by checkpoint.json)",
                "the file describes a network larger than this machine " + "can hold; is it damaged?");
        long held = 0;
        try (InputStream in = zip.getInputStream(require(file, zip, PARAMETERS))) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while (held < needed && (n = in.read(buffer, 0, (int) Math.min(buffer.length, needed - held))) > 0) {
                held += n;
            }
        }
        if (held < needed) {
            throw new IOException(
                    file + ": checkpoint.json describes a network of " + String.format("%,.0f", config.storedValues())
                            + " weights (" + MemoryBudget.format(needed) + "), but parameters.djl "
                            + "holds only " + held + " bytes: the description does not match the stored tensors");
        }
    }

    private static void loadParameters(Path file, ZipFile zip, DenseNet network, NDManager manager) throws IOException {
        ZipEntry params = require(file, zip, PARAMETERS);
        try (DataInputStream in = new DataInputStream(zip.getInputStream(params))) {
            network.loadParameters(manager, in);
        } catch (MalformedModelException | IOException | RuntimeException e) {
            throw new IOException(file + ": parameters do not fit the model it describes (" + e.getMessage() + ")", e);
        } catch (OutOfMemoryError e) {
            // DJL sizes arrays from the shapes in parameters.djl; a crafted one asks for more than any array can be.
            throw new IOException(file + ": parameters.djl declares an impossible tensor shape", e);
        }
        for (ai.djl.nn.Parameter p : network.getParameters().values()) {
            if (p.getArray().getDataType() != DataType.FLOAT32) {
                throw new IOException(file + ": parameter " + p.getName() + " is stored as "
                        + p.getArray().getDataType() + "; densenet4j checkpoints hold float32");
            }
        }
    }

    private static ZipFile open(Path file) throws IOException {
        if (java.nio.file.Files.isDirectory(file)) {
            throw new IOException(file + ": is a folder, not a densenet4j checkpoint");
        }
        try {
            return ZipNames.open(file);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new NoSuchFileException(file + ": checkpoint not found");
        } catch (ZipException e) {
            throw new IOException(
                    file + ": not a densenet4j checkpoint (not a zip archive: " + e.getMessage()
                            + "); it may be truncated",
                    e);
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
            Map<String, Object> m = GSON.fromJson(
                    new String(json, StandardCharsets.UTF_8), new TypeToken<Map<String, Object>>() {}.getType());
            if (m == null || !FORMAT.equals(m.get("format"))) {
                throw new IOException(file + ": not a densenet4j checkpoint (format field is "
                        + (m == null ? "missing" : TerminalText.excerpt(m.get("format"), 40)) + ")");
            }
            Number version = (Number) m.get("version");
            if (version == null || version.intValue() != VERSION) {
                throw new IOException(file + ": checkpoint format version " + version + " is not supported (expected "
                        + VERSION + ")");
            }
            return m;
        } catch (JsonParseException | ClassCastException e) {
            // messages quote the file's keys and values, which may be megabytes long
            throw new IOException(file + ": corrupt checkpoint.json: " + firstLine(e.getMessage()), e);
        }
    }

    private static ModelSpec spec(Path file, Map<String, Object> m) throws IOException {
        try {
            return ModelSpec.fromDescription(
                    m.get(ModelSpec.MODEL),
                    m.get(ModelSpec.INPUT),
                    m.get(ModelSpec.CLASSES),
                    m.get(ModelSpec.NORMALIZATION));
        } catch (RuntimeException e) {
            throw new IOException(
                    file + ": incomplete or corrupt checkpoint.json (" + firstLine(e.getMessage()) + ")", e);
        }
    }

    /** A parser's message cut to its first line (Gson adds a second, a link) and 300 characters. */
    private static String firstLine(String message) {
        String s = String.valueOf(message);
        int newline = s.indexOf('\n');
        return TerminalText.excerpt(newline < 0 ? s : s.substring(0, newline), 300);
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
