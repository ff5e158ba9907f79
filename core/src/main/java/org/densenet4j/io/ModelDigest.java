package org.densenet4j.io;

import ai.djl.ndarray.NDArray;
import com.google.gson.Gson;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;

/**
 * A fingerprint of what an int8 calibration depends on: the network's configuration, the input size and
 * normalisation, and every float32 weight and BN statistic. A calibration stored with one fingerprint belongs to
 * that model only; when the weights change (training again, a fine-tune written to the same path) the fingerprint
 * does, and the stale calibration is recognised. The class names are left out: renaming classes changes no range.
 */
public final class ModelDigest {

    /** Changes if what is hashed, or how, ever changes. */
    private static final String VERSION = "densenet4j-model-digest-1\n";

    private ModelDigest() {}

    /** The SHA-256 of {@code model}'s configuration, input, normalisation and tensors, as 64 hex digits. */
    public static String of(TrainedModel model) {
        MessageDigest sha = sha256();
        ModelSpec spec = model.spec();
        Gson gson = new Gson();
        sha.update(VERSION.getBytes(StandardCharsets.UTF_8));
        for (Object part :
                new Object[] {spec.config().describe(), spec.describeInput(), spec.describeNormalization()}) {
            sha.update(gson.toJson(part).getBytes(StandardCharsets.UTF_8));
            sha.update((byte) '\n');
        }
        for (NDArray tensor : model.network().tensors()) {
            long[] shape = tensor.getShape().getShape();
            ByteBuffer header =
                    ByteBuffer.allocate(Long.BYTES * (shape.length + 1)).order(ByteOrder.LITTLE_ENDIAN);
            header.putLong(shape.length);
            for (long d : shape) {
                header.putLong(d);
            }
            sha.update(header.array());
            float[] values = tensor.toFloatArray();
            ByteBuffer bytes = ByteBuffer.allocate(Float.BYTES * values.length).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            sha.update(bytes);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256, which every Java platform must have", e);
        }
    }
}
