package org.densenet4j.pretrained;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.densenet4j.data.Normalization;
import org.densenet4j.data.ResizeAndCrop;
import org.densenet4j.model.Preset;
import org.densenet4j.model.Presets;
import org.densenet4j.torch.TorchImport;
import org.densenet4j.torch.TorchLayout;

/**
 * The pretrained weights densenet4j knows by name: the registry in the core jar (torchvision's ImageNet DenseNets,
 * written by {@code scripts/make_pretrained_registry.py}), and entries a JSON file adds or replaces (mirrors for
 * air-gapped sites, tests). A file is {@code {"weights": [{"model", "name", "url", "sha256", "layout", "classes",
 * ...}]}}; {@code classes} is {@code "imagenet-1k"} or a list of names. Such a file is hostile input: its size, every
 * field's type and range are checked, and a problem names the file and the field.
 */
public final class PretrainedRegistry {

    /** The registry in the core jar. */
    static final String RESOURCE = "/org/densenet4j/pretrained/weights.json";

    /** ImageNet-1k's class names, one a line, in torchvision's order. */
    static final String IMAGENET_CLASSES = "/org/densenet4j/pretrained/imagenet-1k.txt";

    /** The largest registry file read: thousands of entries, or a few with long class lists. */
    static final long MAX_FILE_BYTES = 4L << 20;

    private static final long MAX_CLASSES = 100_000;
    private static final int MAX_TEXT = 1_000;
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{8,64}");
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");
    private static final Set<String> FIELDS = Set.of(
            "model",
            "name",
            "url",
            "sha256",
            "layout",
            "classes",
            "source",
            "resize",
            "crop",
            "mean",
            "std",
            "top1",
            "top5",
            "parameters");

    private final Map<String, PretrainedEntry> entries;

    private PretrainedRegistry(Map<String, PretrainedEntry> entries) {
        this.entries = entries;
    }

    /** The registry in the core jar. */
    public static PretrainedRegistry builtIn() {
        try (InputStream in = PretrainedRegistry.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(
                        RESOURCE + " is not on the class path: is densenet4j-core's jar " + "complete?");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new PretrainedRegistry(new LinkedHashMap<>()).with(parse(text, "the built-in registry " + RESOURCE));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /**
     * This registry with the entries of {@code file} added, replacing those of the same model and name.
     *
     * @param what how messages name the file, e.g. "DENSENET4J_PRETRAINED file /etc/mirror.json"
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException naming the file and field if it is too large or any entry is wrong
     */
    public PretrainedRegistry withFile(Path file, String what) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + ": no such file");
        }
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(
                    what + ": " + size + " bytes, more than the " + MAX_FILE_BYTES + " a registry may have");
        }
        return with(parse(Files.readString(file, StandardCharsets.UTF_8), what));
    }

    private PretrainedRegistry with(List<PretrainedEntry> added) {
        Map<String, PretrainedEntry> all = new LinkedHashMap<>(entries);
        for (PretrainedEntry e : added) {
            all.put(e.key(), e);
        }
        return new PretrainedRegistry(all);
    }

    /** Every entry, the built-in ones first. */
    public Collection<PretrainedEntry> entries() {
        return List.copyOf(entries.values());
    }

    /**
     * The weights {@code name} of {@code model}.
     *
     * @throws IllegalArgumentException listing what the registry holds if it has no such weights
     */
    public PretrainedEntry find(String model, String name) {
        PretrainedEntry e = entries.get(model + ":" + name);
        if (e == null) {
            throw new IllegalArgumentException("no pretrained weights " + model + ":" + name + " in the registry; it "
                    + "holds " + String.join(", ", entries.keySet()) + " (DENSENET4J_PRETRAINED adds more)");
        }
        return e;
    }

    /** Whether any model has weights called {@code name}. */
    public boolean hasName(String name) {
        return entries.values().stream().anyMatch(e -> e.name().equals(name));
    }

    /**
     * Finds weights by {@code model:name}, or by {@code model} alone when it has exactly one set (the registry's
     * {@code densenet121} is {@code densenet121:imagenet}).
     */
    public PretrainedEntry find(String modelOrKey) {
        int colon = modelOrKey.indexOf(':');
        if (colon >= 0) {
            return find(modelOrKey.substring(0, colon), modelOrKey.substring(colon + 1));
        }
        List<PretrainedEntry> of = entries.values().stream()
                .filter(e -> e.preset().name().equals(modelOrKey))
                .toList();
        if (of.size() != 1) {
            throw new IllegalArgumentException((of.isEmpty()
                            ? "no pretrained weights for " + modelOrKey
                            : modelOrKey + " has several pretrained weights: say which, as MODEL:NAME")
                    + "; the registry holds " + String.join(", ", entries.keySet()));
        }
        return of.get(0);
    }

    static List<PretrainedEntry> parse(String text, String what) {
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(what + ": not JSON: " + e.getMessage());
        }
        if (!root.isJsonObject()
                || !root.getAsJsonObject().has("weights")
                || !root.getAsJsonObject().get("weights").isJsonArray()) {
            throw new IllegalArgumentException(what + ": expected {\"weights\": [{\"model\": ..., \"name\": ..., "
                    + "\"url\": ..., \"sha256\": ..., \"layout\": ..., \"classes\": ...}, ...]}");
        }
        JsonArray array = root.getAsJsonObject().getAsJsonArray("weights");
        List<PretrainedEntry> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            out.add(new EntryReader(what + ": weights[" + i + "]", array.get(i)).read());
        }
        return out;
    }

    /** Reads and checks one entry; every message starts with the file and the entry's index. */
    private static final class EntryReader {
        private final String where;
        private final JsonObject o;

        EntryReader(String where, JsonElement e) {
            this.where = where;
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(where + ": expected an object");
            }
            this.o = e.getAsJsonObject();
        }

        PretrainedEntry read() {
            for (String key : o.keySet()) {
                if (!FIELDS.contains(key)) {
                    throw new IllegalArgumentException(where + ": unknown field \"" + key + "\" (fields: "
                            + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
                }
            }
            Preset preset;
            try {
                preset = Presets.named(text("model", true));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ".model: " + e.getMessage());
            }
            String name = text("name", true);
            check(NAME.matcher(name).matches(), "name", "lower-case letters, digits, - and _ (at most 64)", name);
            URI url = url();
            String sha256 = text("sha256", true);
            check(HEX.matcher(sha256).matches(), "sha256", "8 to 64 hex digits (the digest or its prefix)", sha256);
            TorchLayout layout;
            try {
                layout = o.has("layout") ? TorchLayout.parse(text("layout", true)) : TorchImport.layout(preset, null);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ".layout: " + e.getMessage());
            }
            String classesName = null;
            List<String> classes;
            JsonElement c = o.get("classes");
            if (c == null) {
                throw new IllegalArgumentException(where + ".classes: missing (\"imagenet-1k\" or a list of names)");
            } else if (c.isJsonPrimitive() && c.getAsJsonPrimitive().isString()) {
                classesName = c.getAsString();
                check(classesName.equals("imagenet-1k"), "classes", "\"imagenet-1k\" or a list of names", classesName);
                classes = ImageNetClasses.names();
            } else if (c.isJsonArray()) {
                classes = classList(c.getAsJsonArray());
            } else {
                throw new IllegalArgumentException(where + ".classes: expected \"imagenet-1k\" or a list of names");
            }
            int crop = (int) number("crop", 1, 4096, preset.inputSize());
            int resize = (int) number("resize", crop, 4096, crop * 8 / 7);
            Normalization normalization =
                    new Normalization(floats("mean", preset.mean(), false), floats("std", preset.std(), true));
            Double top1 = o.has("top1") ? number("top1", 0, 100, 0) : null;
            Double top5 = o.has("top5") ? number("top5", 0, 100, 0) : null;
            Long parameters = o.has("parameters") ? (long) number("parameters", 1, 1e12, 0) : null;
            String source = o.has("source") ? text("source", false) : null;
            return new PretrainedEntry(
                    preset,
                    name,
                    url,
                    sha256,
                    layout,
                    classes,
                    classesName,
                    new ResizeAndCrop(resize, crop),
                    normalization,
                    source,
                    top1,
                    top5,
                    parameters);
        }

        private URI url() {
            String text = text("url", true);
            URI url;
            try {
                url = new URI(text);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(where + ".url: not a URL: " + text);
            }
            check(
                    ("http".equals(url.getScheme()) || "https".equals(url.getScheme())) && url.getHost() != null,
                    "url",
                    "an http or https URL",
                    text);
            String path = url.getPath() == null ? "" : url.getPath();
            String file = path.substring(path.lastIndexOf('/') + 1);
            check(
                    FILE_NAME.matcher(file).matches() && TorchImport.isTorchFile(Path.of(file)),
                    "url",
                    "a URL ending in a file name of letters, digits, '.', '-' and '_' with the extension .pth, .pt "
                            + "or .bin",
                    text);
            return url;
        }

        private List<String> classList(JsonArray array) {
            check(
                    array.size() >= 1 && array.size() <= MAX_CLASSES,
                    "classes",
                    "1 to " + MAX_CLASSES + " names",
                    array.size() + " names");
            List<String> names = new ArrayList<>(array.size());
            for (int i = 0; i < array.size(); i++) {
                JsonElement e = array.get(i);
                if (!e.isJsonPrimitive()
                        || !e.getAsJsonPrimitive().isString()
                        || e.getAsString().isBlank()
                        || e.getAsString().length() > MAX_TEXT) {
                    throw new IllegalArgumentException(
                            where + ".classes[" + i + "]: expected a name of 1 to " + MAX_TEXT + " characters");
                }
                names.add(e.getAsString());
            }
            return names;
        }

        private String text(String field, boolean required) {
            JsonElement e = o.get(field);
            if (e == null) {
                throw new IllegalArgumentException(where + "." + field + ": missing");
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw new IllegalArgumentException(where + "." + field + ": expected a string, got " + e);
            }
            String s = e.getAsString();
            if (s.length() > MAX_TEXT || required && s.isBlank()) {
                throw new IllegalArgumentException(where + "." + field + ": expected 1 to " + MAX_TEXT + " characters");
            }
            return s;
        }

        private double number(String field, double min, double max, double absent) {
            JsonElement e = o.get(field);
            if (e == null) {
                return absent;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException(where + "." + field + ": expected a number, got " + e);
            }
            double v = e.getAsDouble();
            check(v >= min && v <= max, field, "a number in " + (long) min + ".." + (long) max, e.toString());
            boolean whole = !field.startsWith("top");
            check(!whole || v == Math.rint(v), field, "a whole number", e.toString());
            return v;
        }

        private float[] floats(String field, float[] absent, boolean positive) {
            JsonElement e = o.get(field);
            if (e == null) {
                return absent;
            }
            String expected = "a list of " + absent.length + (positive ? " positive" : "") + " numbers";
            check(e.isJsonArray() && e.getAsJsonArray().size() == absent.length, field, expected, e.toString());
            float[] out = new float[absent.length];
            for (int i = 0; i < out.length; i++) {
                JsonElement v = e.getAsJsonArray().get(i);
                boolean number = v.isJsonPrimitive() && ((JsonPrimitive) v).isNumber();
                double d = number ? v.getAsDouble() : Double.NaN;
                check(Double.isFinite(d) && Math.abs(d) < 1e6 && (!positive || d > 0), field, expected, e.toString());
                out[i] = (float) d;
            }
            return out;
        }

        private void check(boolean ok, String field, String expected, String got) {
            if (!ok) {
                String shown = got.length() > 80 ? got.substring(0, 80) + "..." : got;
                throw new IllegalArgumentException(where + "." + field + ": expected " + expected + ", got " + shown);
            }
        }
    }
}
