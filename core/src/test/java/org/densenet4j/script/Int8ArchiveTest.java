package org.densenet4j.script;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.densenet4j.data.ImageDataset;
import org.densenet4j.data.InMemoryDataset;
import org.densenet4j.data.Normalization;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.NonFiniteOutputException;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.StemType;
import org.densenet4j.model.TestNetworks;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * densenet4j's int8 TorchScript archive: read back as data, compiled again with densenet4j's own code, it computes
 * exactly what the module it was exported from computes; its class activation maps average to the logits; tampered
 * archives are refused naming the file, and an archive's own code never runs.
 */
class Int8ArchiveTest {

    private static final DenseNetConfig CONFIG =
            TestNetworks.small(LayerType.BOTTLENECK, ConcatOrder.INPUT_FIRST, StemType.CIFAR, 1, 10);

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsInt8() {
        Assumptions.assumeTrue(Precision.INT8.isSupported(), "this CPU has neither avx512_vnni nor amx_int8");
        TestNetworks.assumeCorrectConvolutions();
    }

    @Test
    void anExportedArchiveComputesWhatItsModuleComputesAndExplainsItsOwnLogits() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = model(m);
            Int8Calibration calibration = Int8Model.calibrate(Int8Source.of(model), images(32), 32);
            Path file = tmp.resolve("int8.pt");
            Int8Model.export(Int8Source.of(model), calibration, file);

            TorchScriptArchive.Contents contents = TorchScriptArchive.read(file);
            assertEquals(Precision.INT8, contents.precision());
            assertEquals(Precision.INT8, TorchScriptArchive.precision(file));
            assertArrayEquals(calibration.min(), contents.calibration().min());
            NDArray x = m.randomNormal(new Shape(4, 1, 16, 16));
            try (Int8Model direct = Int8Model.compile(Int8Source.of(model), calibration);
                    Int8Model archived = Int8Model.compile(contents)) {
                ParameterStore ps = new ParameterStore(m, false);
                float[] expected = direct.inferenceBlock(m)
                        .forward(ps, new NDList(x), false)
                        .singletonOrThrow()
                        .toFloatArray();
                float[] actual = archived.inferenceBlock(m)
                        .forward(ps, new NDList(x), false)
                        .singletonOrThrow()
                        .toFloatArray();
                assertArrayEquals(expected, actual, "the same weights, scales and code: the same logits");

                NDList both = archived.logitsAndClassActivationMaps(x);
                assertArrayEquals(actual, both.get(0).toFloatArray(), "explain's logits are forward's");
                // A map's mean is its class's logit less the classifier's bias (up to the int8 pooling's rounding).
                float[] means =
                        both.get(1).reshape(4, 10, -1).mean(new int[] {2}).toFloatArray();
                float[] bias = contents.int8Weights().classifier().get(1).data();
                float largest = 0;
                for (float v : actual) {
                    largest = Math.max(largest, Math.abs(v));
                }
                for (int i = 0; i < means.length; i++) {
                    assertEquals(actual[i] - bias[i % 10], means[i], 0.05 * largest, "class map " + i);
                }
            }
        }
    }

    @Test
    void tamperedArchivesAreRefusedAndTheirCodeNeverRuns() throws IOException {
        Path file = tmp.resolve("int8.pt");
        int convolutions;
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = model(m);
            Int8Model.export(Int8Source.of(model), Int8Model.calibrate(Int8Source.of(model), images(8), 8), file);
            convolutions = Int8Weights.of(model.network()).convWeights().size();
        }
        String calibration = "densenet4j/extra/calibration.json";
        assertRefused(
                tamper(file, e -> {
                    e.put(calibration, text(e.get(calibration)).replace("\"method\":", "\"method\":\"x\",\"method\":"));
                    return e;
                }),
                "calibration.json: duplicate key: method");
        // Quantized, a NaN or infinite weight (or a negative variance) becomes a finite, meaningless int8 value: the
        // network would answer confidently instead of failing as float32 does.
        assertRefused(tamper(file, e -> fill(e, "densenet4j/data/0", Float.NaN)), "conv_weights tensor 0 holds NaN");
        assertRefused(
                tamper(file, e -> fill(e, "densenet4j/data/" + convolutions, Float.POSITIVE_INFINITY)),
                "conv_biases tensor 0 holds NaN or infinite values");
        assertRefused(
                tamper(file, e -> fill(e, "densenet4j/data/" + (2 * convolutions + 3), -1f)),
                "norms[0] tensor 3 holds a negative variance");
        // What model.json says is quoted shortly: an error stays a line, not megabytes.
        String huge = "x".repeat(1_000_000);
        for (String field : List.of("\"precision\":\"int8\"", "\"format\":2")) {
            Path tampered = tamper(file, e -> {
                String model = "densenet4j/extra/model.json";
                e.put(model, text(e.get(model)).replace(field, field.replaceFirst(":.*", ":\"" + huge + "\"")));
                return e;
            });
            IOException e = assertThrows(IOException.class, () -> TorchScriptArchive.read(tampered));
            assertTrue(e.getMessage().startsWith(tampered.toString()), e.getMessage());
            assertTrue(e.getMessage().length() < 500, e.getMessage().length() + " characters for " + field);
        }
        assertRefused(
                tamper(file, e -> {
                    e.put(calibration, text(e.get(calibration)).replaceFirst("\"max\":\\[[-0-9.eE]+", "\"max\":[NaN"));
                    return e;
                }),
                "calibration.json: the calibration's max[0] is NaN");
        assertRefused(
                tamper(file, e -> {
                    e.remove(calibration);
                    return e;
                }),
                "is an int8 archive without its extra/calibration.json");
        assertRefused(
                tamper(file, e -> {
                    String model = "densenet4j/extra/model.json";
                    e.put(model, text(e.get(model)).replace("\"precision\":\"int8\"", "\"precision\":\"bf16\""));
                    return e;
                }),
                "holds extra/calibration.json but is a bf16 archive");
        assertRefused(
                tamper(file, e -> {
                    e.put("densenet4j/extra/other.json", "{}".getBytes(StandardCharsets.UTF_8));
                    return e;
                }),
                "which densenet4j never writes");

        // Code that would write a file if libtorch ran it: densenet4j compiles its own instead.
        Path marker = tmp.resolve("pwned");
        Path hostile = tamper(file, e -> {
            String code = "densenet4j/code/__torch__.py";
            e.put(
                    code,
                    text(e.get(code))
                            .replace(
                                    "    return (self).classify((self).features(images, ), )\n",
                                    "    _9 = torch.save(images, \"" + marker + "\")\n"
                                            + "    return (self).classify((self).features(images, ), )\n")
                            .getBytes(StandardCharsets.UTF_8));
            return e;
        });
        try (NDManager m = NDManager.newBaseManager();
                Int8Model int8 = Int8Model.compile(TorchScriptArchive.read(hostile))) {
            int8.inferenceBlock(m)
                    .forward(new ParameterStore(m, false), new NDList(m.zeros(new Shape(1, 1, 16, 16))), false);
        }
        assertTrue(Files.notExists(marker), "the archive's own code ran");
    }

    @Test
    void aModelWhoseWeightsHoldNaNIsNotCompiledIntoMeaninglessInt8() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = model(m);
            // A calibration that fits the weights' shapes (here measured before they were damaged).
            Int8Calibration calibration = Int8Model.calibrate(Int8Source.of(model), images(8), 8);
            NDArray weight = model.network().tensors().get(0);
            float[] values = weight.toFloatArray();
            values[0] = Float.NaN;
            weight.set(values);
            NonFiniteOutputException e = assertThrows(
                    NonFiniteOutputException.class, () -> Int8Model.compile(Int8Source.of(model), calibration));
            assertTrue(e.getMessage().contains("conv_weights tensor 0 holds NaN or infinite values"), e.getMessage());
        }
    }

    @Test
    void calibrationAndCompilationOfOneSourceShareOneFold() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = model(m);
            Int8Source source = Int8Source.of(model);
            Int8Calibration calibration = Int8Model.calibrate(source, images(8), 8);
            // Damaged after calibration: compiling the same source takes the weights calibration folded, not these.
            NDArray weight = model.network().tensors().get(0);
            float[] values = weight.toFloatArray();
            values[0] = Float.NaN;
            weight.set(values);
            try (Int8Model compiled = Int8Model.compile(source, calibration)) {
                float[] logits = compiled.inferenceBlock(m)
                        .forward(
                                new ParameterStore(m, false),
                                new NDList(m.randomNormal(new Shape(2, 1, 16, 16))),
                                false)
                        .singletonOrThrow()
                        .toFloatArray();
                for (float v : logits) {
                    assertTrue(Float.isFinite(v), "compiled from the weights calibration folded");
                }
            }
            assertThrows(
                    NonFiniteOutputException.class,
                    () -> Int8Model.compile(Int8Source.of(model), calibration),
                    "a new source folds the weights as they are now");
        }
    }

    @Test
    void anArchiveIsReadFromTheOneOpenOfItsFile() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = model(m);
            Int8Calibration calibration = Int8Model.calibrate(Int8Source.of(model), images(8), 8);
            Path file = tmp.resolve("int8.pt");
            Int8Model.export(Int8Source.of(model), calibration, file);
            TorchScriptArchive.Contents expected = TorchScriptArchive.read(file);
            try (TorchScriptArchive.Opened archive = TorchScriptArchive.openIfArchive(file)) {
                assertEquals(Precision.INT8, archive.precision());
                // Gone from the folder, the file is still read: its tensors and calibration come from this open.
                Files.delete(file);
                TorchScriptArchive.Contents contents = archive.read();
                assertArrayEquals(calibration.max(), contents.calibration().max());
                assertEquals(
                        expected.int8Weights().flat().size(),
                        contents.int8Weights().flat().size());
                for (int i = 0; i < expected.int8Weights().flat().size(); i++) {
                    assertArrayEquals(
                            expected.int8Weights().flat().get(i).data(),
                            contents.int8Weights().flat().get(i).data(),
                            "tensor " + i);
                }
            }
            Path notAnArchive = Files.writeString(tmp.resolve("plain.txt"), "not a zip");
            assertNull(TorchScriptArchive.openIfArchive(notAnArchive));
        }
    }

    @Test
    void concurrentClassActivationMapsShareTheModelsClassifier() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            TrainedModel model = model(m);
            Int8Source source = Int8Source.of(model);
            NDArray x = m.randomNormal(new Shape(2, 1, 16, 16));
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try (Int8Model int8 = Int8Model.compile(source, Int8Model.calibrate(source, images(8), 8))) {
                float[] expected = int8.logitsAndClassActivationMaps(x).get(1).toFloatArray();
                List<Future<float[]>> maps = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    maps.add(pool.submit(() -> {
                        try (NDManager request = m.newSubManager()) {
                            NDArray mine = x.duplicate();
                            mine.attach(request);
                            return int8.logitsAndClassActivationMaps(mine)
                                    .get(1)
                                    .toFloatArray();
                        }
                    }));
                }
                for (Future<float[]> f : maps) {
                    assertArrayEquals(expected, f.get(), "the same maps from every request");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private Path tamper(Path file, UnaryOperator<Map<String, Object>> change) throws IOException {
        Map<String, Object> entries = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                try (InputStream in = zip.getInputStream(e)) {
                    entries.put(e.getName(), in.readAllBytes());
                }
            }
        }
        Path out = Files.createTempFile(tmp, "tampered-", ".pt");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            for (Map.Entry<String, Object> e : change.apply(entries).entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(
                        e.getValue() instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) e.getValue());
                zip.closeEntry();
            }
        }
        return out;
    }

    /** {@code entries} with the storage {@code name} holding {@code value} everywhere (as many float32 values). */
    private static Map<String, Object> fill(Map<String, Object> entries, String name, float value) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(((byte[]) entries.get(name)).length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            b.putFloat(value);
        }
        entries.put(name, b.array());
        return entries;
    }

    private static String text(Object bytes) {
        return bytes instanceof String s ? s : new String((byte[]) bytes, StandardCharsets.UTF_8);
    }

    private static void assertRefused(Path file, String expected) {
        IOException e = assertThrows(IOException.class, () -> TorchScriptArchive.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), expected + " in: " + e.getMessage());
    }

    private static TrainedModel model(NDManager m) {
        DenseNet net = new DenseNet(CONFIG);
        net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 16, 16));
        TestNetworks.randomizeNorms(net, m);
        ModelSpec spec = new ModelSpec(
                "test",
                CONFIG,
                16,
                16,
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
                new Normalization(new float[] {0.5f}, new float[] {0.25f}));
        return new TrainedModel(spec, net);
    }

    private static ImageDataset images(int n) {
        byte[] pixels = new byte[n * 16 * 16];
        new Random(3).nextBytes(pixels);
        return new InMemoryDataset(
                "random", 1, 16, 16, pixels, new int[n], List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
    }
}
