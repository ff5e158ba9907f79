package org.densenet4j.io;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.densenet4j.base.MemoryBudget;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.DenseNetConfig;

/**
 * A TorchScript archive that densenet4j wrote ({@link TorchScriptExport}), run by libtorch through DJL's PyTorch
 * engine as a {@code PtSymbolBlock}: what it takes and answers comes from its extra files.
 *
 * <p>Loading TorchScript runs the archive's code, so only densenet4j's own is accepted: the archive's code must be
 * exactly what {@link TorchScriptExport} writes for the configuration its {@code model.json} describes, and its
 * storages must hold the weights that configuration needs (checked against the file and the machine's memory)
 * before libtorch sees the file.
 */
public final class ScriptedModel implements InferenceModel, AutoCloseable {

    private static final List<String> EXTRA = List.of("model.json", "classes.json", "normalization.json", "input.json");
    private static final int EXTRA_LIMIT = 1 << 20;

    private final ModelSpec spec;
    private final Precision precision;
    private final Model model;

    private ScriptedModel(ModelSpec spec, Precision precision, Model model) {
        this.spec = spec;
        this.precision = precision;
        this.model = model;
    }

    /** The precision the archive computes in. */
    public Precision precision() {
        return precision;
    }

    /**
     * {@code model} compiled for libtorch in {@code precision}: exported as a TorchScript archive (for bf16, the
     * folded network in bfloat16) to a temporary file, loaded, and the file removed.
     */
    public static ScriptedModel compile(TrainedModel model, Precision precision) throws IOException {
        precision.requireSupport();
        Path file = java.nio.file.Files.createTempFile("densenet4j-" + precision + "-", ".pt");
        try {
            TorchScriptExport.write(model, file, precision);
            return open(file);
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    /** True if {@code file} is a TorchScript archive (a zip with code/ and constants.pkl), not a state dict. */
    public static boolean isArchive(Path file) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return Collections.list(zip.entries()).stream()
                            .anyMatch(e -> e.getName().endsWith("/constants.pkl"))
                    && Collections.list(zip.entries()).stream()
                            .anyMatch(e -> e.getName().contains("/code/"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Checks and loads a TorchScript archive densenet4j wrote.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static ScriptedModel open(Path file) throws IOException {
        Checked checked = check(file);
        String name = file.getFileName().toString();
        String prefix = name.endsWith(".pt") ? name.substring(0, name.length() - 3) : name;
        Model model = Model.newInstance(prefix, Device.cpu(), "PyTorch");
        try {
            model.load(file.toAbsolutePath().getParent(), prefix);
            return new ScriptedModel(checked.spec(), checked.precision(), model);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException(
                    file + ": libtorch could not load the TorchScript archive (" + e.getMessage() + ")", e);
        }
    }

    @SuppressWarnings("unchecked")
    /** What the checks found: the model's spec and the precision its code computes in. */
    private record Checked(ModelSpec spec, Precision precision) {}

    private static Checked check(Path file) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String root = null;
            for (ZipEntry e : Collections.list(zip.entries())) {
                if (e.getName().endsWith("/constants.pkl")) {
                    root = e.getName().substring(0, e.getName().length() - "constants.pkl".length());
                }
            }
            if (root == null) {
                throw new IOException(file + ": not a TorchScript archive (no constants.pkl)");
            }
            Map<String, String> extra = new java.util.HashMap<>();
            for (String name : EXTRA) {
                extra.put(name, text(file, zip, root + "extra/" + name, "written by densenet4j export"));
            }
            Gson gson = new Gson();
            Map<String, Object> model =
                    gson.fromJson(extra.get("model.json"), new TypeToken<Map<String, Object>>() {}.getType());
            DenseNetConfig config = DenseNetConfig.fromDescription((Map<String, Object>) model.get("config"));
            Map<String, Number> input =
                    gson.fromJson(extra.get("input.json"), new TypeToken<Map<String, Number>>() {}.getType());
            Map<String, List<Number>> norm = gson.fromJson(
                    extra.get("normalization.json"), new TypeToken<Map<String, List<Number>>>() {}.getType());
            List<String> classes = gson.fromJson(extra.get("classes.json"), new TypeToken<List<String>>() {}.getType());
            ModelSpec spec = new ModelSpec(
                    java.util.Objects.requireNonNull((String) model.get("name"), "model.json has no name"),
                    config,
                    input.get("height").intValue(),
                    input.get("width").intValue(),
                    classes,
                    new Normalization(floats(norm.get("mean")), floats(norm.get("std"))),
                    ModelSpec.resizeAndCrop(input));
            // Only densenet4j's own code runs: the archive's must be what the export writes for this configuration.
            String code = text(file, zip, root + "code/__torch__.py", "the module's code");
            Object precision = model.get("precision");
            Precision p = precision == null ? Precision.FP32 : Precision.parse(precision.toString());
            if (!code.equals(TorchScriptExport.TorchScriptCode.of(config, p))) {
                throw new IOException(file + ": its TorchScript code is not the code densenet4j writes for the "
                        + "model it describes; only archives written by `densenet4j export --format torchscript` "
                        + "are loaded, since loading TorchScript runs its code");
            }
            // float32 archives hold every stored value in 4 bytes; bfloat16 ones the folded network in 2 bytes, which
            // drops the BNs that fold away: at least 1 byte per value of the description, still far from a crafted one.
            double needed = config.storedValues() * (p == Precision.BF16 ? 1 : Float.BYTES);
            MemoryBudget.require(
                    needed,
                    file + " (" + String.format("%,.0f", config.storedValues()) + " weights)",
                    "is the archive damaged?");
            long stored = 0;
            for (ZipEntry e : Collections.list(zip.entries())) {
                if (e.getName().startsWith(root + "data/")) {
                    stored += Math.max(0, e.getSize());
                }
            }
            // The stored weights also count BN's num_batches_tracked nowhere: they must cover the config's values.
            if (stored < needed) {
                throw new IOException(file + ": model.json describes " + String.format("%,.0f", config.storedValues())
                        + " weights but the archive stores only " + stored + " bytes of tensors");
            }
            return new Checked(spec, p);
        } catch (ZipException e) {
            throw new IOException(file + ": not a TorchScript archive (" + e.getMessage() + ")", e);
        } catch (JsonParseException | ClassCastException | NullPointerException | IllegalArgumentException e) {
            throw new IOException(file + ": malformed extra files (" + e.getMessage() + ")", e);
        }
    }

    private static String text(Path file, ZipFile zip, String name, String what) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new IOException(file + ": no " + name + " (" + what + ")");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] bytes = in.readNBytes(EXTRA_LIMIT + 1);
            if (bytes.length > EXTRA_LIMIT) {
                throw new IOException(file + ": " + name + " is larger than " + EXTRA_LIMIT + " bytes");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static float[] floats(List<Number> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    /** The TorchScript module, a {@code PtSymbolBlock}; it lives until {@link #close()}. */
    @Override
    public Block inferenceBlock(NDManager manager) {
        return model.getBlock();
    }

    /** The DJL model that owns the module, for the zoo. */
    public Model model() {
        return model;
    }

    @Override
    public void close() {
        model.close();
    }
}
