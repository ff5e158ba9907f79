package org.densenet4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.StemType;
import org.densenet4j.model.TestNetworks;
import org.densenet4j.script.Int8Calibration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model's stored int8 calibration: read back as written, stale once the weights change, hostile files refused. */
class Int8CalibrationFileTest {

    private static final DenseNetConfig CONFIG =
            TestNetworks.small(LayerType.BOTTLENECK, ConcatOrder.INPUT_FIRST, StemType.CIFAR, 1, 10);

    @TempDir
    Path dir;

    @Test
    void readsBackWhatItStoredAndKnowsWhenTheWeightsChanged() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = model(m);
            Path file = dir.resolve("model.d4j");
            assertNull(Int8CalibrationFile.read(file, CONFIG), "no calibration stored yet");
            Int8Calibration ranges = calibration();
            Int8CalibrationFile.write(
                    file, new Int8CalibrationFile.Stored(ranges, ModelDigest.of(model), "some/folder"));
            assertEquals(dir.resolve("model.d4j.int8.json"), Int8CalibrationFile.of(file));

            Int8CalibrationFile.Stored back = Int8CalibrationFile.read(file, CONFIG);
            assertEquals(ranges.points(), back.calibration().points());
            assertArrayEquals(ranges.min(), back.calibration().min());
            assertArrayEquals(ranges.max(), back.calibration().max());
            assertEquals(64, back.calibration().images());
            assertEquals("some/folder", back.imagesFrom());
            assertTrue(back.fits(ModelDigest.of(model)));

            NDArray weight = model.network().tensors().get(0);
            float[] changed = weight.toFloatArray();
            changed[0] += 1e-3f;
            weight.set(changed);
            assertFalse(back.fits(ModelDigest.of(model)), "a calibration of other weights is stale");

            DenseNetConfig other = TestNetworks.small(LayerType.BASIC, ConcatOrder.INPUT_FIRST, StemType.CIFAR, 1, 10);
            IOException e = assertThrows(IOException.class, () -> Int8CalibrationFile.read(file, other));
            assertTrue(e.getMessage().contains("made for another network"), e.getMessage());
        }
    }

    @Test
    void hostileFilesAreRefusedNamingTheFile() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            String good = new Int8CalibrationFile.Stored(calibration(), ModelDigest.of(model(m)), "x").toJson();
            assertRefused(good.replace("\"min-max\"", "\"entropy\""), "calibration method entropy");
            assertRefused(good.replace("densenet4j-int8-calibration", "other"), "format is other");
            assertRefused(good.replaceFirst("\"model_sha256\": \"[0-9a-f]+\"", "\"model_sha256\": \"zz\""), "hex");
            assertRefused(good.replace("\"images\": 64", "\"images\": 0"), "whole number from 1");
            assertRefused(good.replace("\"images\": 64", "\"images\": 2.5"), "whole number from 1");
            assertRefused(good.replaceFirst("-1\\.0,", "NaN,"), "not a finite number");
            assertRefused(good.replaceFirst("-1\\.0,", "-1e300,"), "magnitude at most");
            assertRefused(good.replaceFirst("\"block1\",", ""), "made for another network");
            assertRefused("[[[[[[[[", "not JSON");
            // A key given twice would mean one thing to this reader and another to the next (last or first wins).
            assertRefused(
                    good.replace("\"method\": \"min-max\",", "\"method\": \"min-max\", \"method\": \"x\","),
                    "duplicate key: method");
            assertRefused(good.replace("\"min\": [", "\"min\": [], \"min\": ["), "duplicate key: min");
            // A value a file says is quoted shortly: an error stays a line, not megabytes.
            String huge = "x".repeat(1_000_000);
            assertRefused(good.replace("densenet4j-int8-calibration", huge), "format is xxxx", 500);
            assertRefused(good.replace("\"version\": 1", "\"version\": \"" + huge + "\""), "version xxxx", 500);
            assertRefused("{\"format\": \"densenet4j-int8-calibration\", \"version\": 2}", "version 2");

            Path file = dir.resolve("big.d4j");
            byte[] big = new byte[Int8CalibrationFile.LIMIT + 1];
            java.util.Arrays.fill(big, (byte) ' ');
            Files.write(Int8CalibrationFile.of(file), big);
            IOException tooLarge = assertThrows(IOException.class, () -> Int8CalibrationFile.read(file, CONFIG));
            assertTrue(tooLarge.getMessage().contains("larger than 4 MiB"), tooLarge.getMessage());

            Path folder = dir.resolve("folder.d4j");
            Files.createDirectory(Int8CalibrationFile.of(folder));
            IOException notFile = assertThrows(IOException.class, () -> Int8CalibrationFile.read(folder, CONFIG));
            assertTrue(notFile.getMessage().contains("not a regular file"), notFile.getMessage());
        }
    }

    private void assertRefused(String json, String expected) throws IOException {
        assertRefused(json, expected, Integer.MAX_VALUE);
    }

    private void assertRefused(String json, String expected, int maxMessage) throws IOException {
        Path file = dir.resolve("hostile.d4j");
        Files.writeString(Int8CalibrationFile.of(file), json, StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> Int8CalibrationFile.read(file, CONFIG), json);
        String message = e.getMessage();
        assertTrue(
                message.length() <= maxMessage,
                message.length() + " characters: " + message.substring(0, Math.min(200, message.length())));
        assertTrue(message.startsWith(Int8CalibrationFile.of(file).toString()), message);
        assertTrue(message.contains(expected), expected + " in: " + message);
    }

    private static TrainedModel model(NDManager m) {
        DenseNet net = new DenseNet(CONFIG);
        net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 16, 16));
        List<String> classes = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        ModelSpec spec = new ModelSpec(
                "test", CONFIG, 16, 16, classes, new Normalization(new float[] {0.5f}, new float[] {0.25f}));
        return new TrainedModel(spec, net);
    }

    /** Ranges for every point of {@link #CONFIG}'s int8 network: [-1 - i, 1 + i] at point i. */
    private static Int8Calibration calibration() {
        List<String> points = Int8Calibration.pointsOf(CONFIG);
        double[] min = new double[points.size()];
        double[] max = new double[points.size()];
        for (int i = 0; i < min.length; i++) {
            min[i] = -1.0 - i;
            max[i] = 1.0 + i;
        }
        return new Int8Calibration(points, min, max, 64);
    }
}
