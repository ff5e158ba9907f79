package org.densenet4j.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.base.Setting;
import org.densenet4j.base.SettingRemedy;
import org.densenet4j.base.StrictJson;
import org.densenet4j.base.TerminalText;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.script.Int8Calibration;

/**
 * A model's int8 calibration, stored beside the model file as {@code FILE.int8.json} so that a model is calibrated
 * once: the activation ranges ({@link Int8Calibration}), where the images came from, and the fingerprint of the
 * weights they were measured on ({@link ModelDigest}). A calibration whose fingerprint is not the model's is stale:
 * it belongs to weights the file no longer holds, and is never used for the new ones.
 *
 * <p>The file is data from outside like any other: it is read only if it is a regular file of at most 4 MiB, and
 * every field is checked against the network it must describe ({@link Int8Calibration#fromDescription}) before
 * densenet4j writes its own int8 module with those ranges.
 */
public final class Int8CalibrationFile {

    /** What is appended to a model file's name. */
    public static final String SUFFIX = ".int8.json";

    static final String FORMAT = "densenet4j-int8-calibration";
    static final int VERSION = 1;
    /** densenet264's calibration is about 30 KB; anything far larger is not ours. */
    static final int LIMIT = 4 << 20;

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** Where the images came from is for messages: a path or a dataset name, bounded. */
    private static final int MAX_SOURCE_CHARS = 4096;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private Int8CalibrationFile() {}

    /** A stored calibration that is not one densenet4j wrote for this network: calibrating again replaces it. */
    public static final class Damaged extends IOException implements SettingRemedy {

        Damaged(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public Setting remedy() {
            return Setting.CALIBRATION;
        }
    }

    /**
     * A stored calibration.
     *
     * @param calibration the activation ranges
     * @param modelDigest the {@link ModelDigest} of the model they were measured on
     * @param imagesFrom the images' folder or dataset, for messages
     */
    public record Stored(Int8Calibration calibration, String modelDigest, String imagesFrom) {

        /**
         * True if it was measured on weights identical to those of the model whose {@link ModelDigest} is {@code
         * digest} (computed once by a caller that also stores a new calibration of that model).
         */
        public boolean fits(String digest) {
            return modelDigest.equals(digest);
        }

        /** In words: "256 image(s) of fashion-mnist, min-max ranges". */
        public String describe() {
            return calibration.images() + " image(s) of " + imagesFrom + ", " + Int8Calibration.METHOD + " ranges";
        }

        /** The JSON text {@link #read} and {@link #fromJson} read. */
        public String toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("format", FORMAT);
            m.put("version", VERSION);
            m.put("model_sha256", modelDigest);
            m.put("images_from", imagesFrom);
            m.put("calibration", calibration.describe());
            return GSON.toJson(m);
        }
    }

    /** Where the calibration of {@code model} is stored: beside it, its name plus {@value #SUFFIX}. */
    public static Path of(Path model) {
        return model.resolveSibling(model.getFileName() + SUFFIX);
    }

    /** Writes {@code stored} beside {@code model} atomically, replacing an earlier calibration. */
    public static void write(Path model, Stored stored) throws IOException {
        byte[] json = stored.toJson().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(of(model), out -> out.write(json));
    }

    /**
     * The calibration stored beside {@code model} for a network of {@code config}, or null if there is none.
     *
     * @throws IOException naming the file if it is not a regular file, too large, or not a calibration of this
     *     network
     */
    public static Stored read(Path model, DenseNetConfig config) throws IOException {
        Path file = of(model);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        if (!Files.isRegularFile(file)) { // a folder, a pipe (read forever), a dangling link
            throw new Damaged(file + ": not a regular file, so not a calibration densenet4j wrote", null);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(LIMIT + 1);
        }
        if (bytes.length > LIMIT) {
            throw new Damaged(file + ": larger than " + (LIMIT >> 20) + " MiB; a calibration is a few kilobytes", null);
        }
        try {
            return fromJson(new String(bytes, StandardCharsets.UTF_8), config);
        } catch (IllegalArgumentException e) {
            throw new Damaged(file + ": " + e.getMessage() + "; calibrate again to replace it", e);
        }
    }

    /**
     * Reads the JSON text of a stored calibration ({@link Stored#toJson}) for a network of {@code config}.
     *
     * @throws IllegalArgumentException saying what is missing or malformed
     */
    public static Stored fromJson(String json, DenseNetConfig config) {
        Object parsed;
        try {
            parsed = StrictJson.parse(json);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("not JSON of a calibration (" + e.getMessage() + ")", e);
        }
        Map<?, ?> m = parsed instanceof Map<?, ?> object ? object : null;
        if (m == null || !FORMAT.equals(m.get("format"))) {
            throw new IllegalArgumentException(
                    "format is " + (m == null ? "missing" : shown(m.get("format"))) + ", not " + FORMAT);
        }
        if (!(m.get("version") instanceof Number v) || v.doubleValue() != VERSION) {
            throw new IllegalArgumentException(
                    "version " + shown(m.get("version")) + "; this densenet4j reads version " + VERSION);
        }
        if (!(m.get("model_sha256") instanceof String digest)
                || !SHA256.matcher(digest).matches()) {
            throw new IllegalArgumentException("model_sha256 is not 64 lower-case hex digits");
        }
        if (!(m.get("images_from") instanceof String from) || from.length() > MAX_SOURCE_CHARS) {
            throw new IllegalArgumentException(
                    "images_from is not a string of at most " + MAX_SOURCE_CHARS + " characters");
        }
        return new Stored(Int8Calibration.fromDescription(m.get("calibration"), config), digest, from);
    }

    /** A value from the file as a message shows it: at most 40 characters. */
    private static String shown(Object value) {
        return TerminalText.excerpt(value, 40);
    }
}
