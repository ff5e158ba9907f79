package org.densenet4j.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchFileReaderTest {

    @TempDir
    Path tmp;

    private Path zip(String name, Map<String, byte[]> entries) throws IOException {
        Path p = tmp.resolve(name);
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return p;
    }

    @Test
    void readsWhatTheWriterWritesIncludingIntegerCounters() throws IOException {
        Map<String, TorchTensor> sd = new LinkedHashMap<>();
        sd.put("a.weight", new TorchTensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        sd.put("a.num_batches_tracked", new TorchTensor(new long[0], new float[] {7}, true));
        Path p = tmp.resolve("x.pth");
        TorchFileWriter.write(sd, p);
        Map<String, TorchTensor> back = TorchFileReader.readStateDict(p);
        assertArrayEquals(new long[] {2, 3}, back.get("a.weight").shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, back.get("a.weight").data());
        assertEquals(7f, back.get("a.num_batches_tracked").data()[0]);
    }

    @Test
    void readsTrainingCheckpointsWithTheStateDictUnderNet() throws IOException {
        Map<String, TorchTensor> sd =
                TorchFileReader.readStateDict(TorchFixture.ROOT.resolve("pytorch-cifar/weights.pth"));
        assertTrue(sd.containsKey("conv1.weight"), sd.keySet().toString());
        assertTrue(sd.containsKey("dense1.0.bn1.running_var"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void viewsWithOffsetsAndStridesAndOtherFloatTypesAreMaterialised() throws IOException {
        Path dir = TorchFixture.ROOT.resolve("views");
        Map<String, Object> root = (Map<String, Object>) TorchFileReader.read(dir.resolve("views.pth"));
        Map<String, Object> nested = (Map<String, Object>) ((Map<String, Object>) root.get("state_dict")).get("nested");
        try (NDManager m = NDManager.newBaseManager();
                java.io.InputStream in = Files.newInputStream(dir.resolve("expected.npz"))) {
            ai.djl.ndarray.NDList expected = ai.djl.ndarray.NDList.decode(m, in);
            for (ai.djl.ndarray.NDArray e : expected) {
                String name = e.getName().replace(".npy", "");
                TorchTensor actual = (TorchTensor) nested.get(name);
                assertArrayEquals(e.getShape().getShape(), actual.shape(), name);
                assertArrayEquals(e.toFloatArray(), actual.data(), 1e-6f, name);
            }
            assertEquals(5, expected.size());
        }
    }

    @Test
    void halfPrecisionIsConverted() {
        assertEquals(1.0f, TorchFileReader.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, TorchFileReader.halfToFloat((short) 0xc000));
        assertEquals(65504f, TorchFileReader.halfToFloat((short) 0x7bff));
        assertEquals(5.9604645e-8f, TorchFileReader.halfToFloat((short) 0x0001));
    }

    @Test
    void nonZipAndTruncatedFilesAreRejectedWithTheirName() throws IOException {
        Path text = tmp.resolve("notes.pth");
        Files.writeString(text, "just text, not a checkpoint");
        TorchFormatException e = assertThrows(TorchFormatException.class, () -> TorchFileReader.read(text));
        assertTrue(
                e.getMessage().contains("notes.pth") && e.getMessage().contains("not a torch.save zip"),
                e.getMessage());

        byte[] whole = Files.readAllBytes(TorchFixture.ROOT.resolve("torchvision-small/weights.pth"));
        Path cut = tmp.resolve("cut.pth");
        Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
        IOException t = assertThrows(IOException.class, () -> TorchFileReader.read(cut));
        assertTrue(t.getMessage().contains("cut.pth"), t.getMessage());
    }

    @Test
    void legacyFormatIsExplained() throws IOException {
        Path legacy = tmp.resolve("old.pth");
        Files.write(legacy, new byte[] {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc});
        TorchFormatException e = assertThrows(TorchFormatException.class, () -> TorchFileReader.read(legacy));
        assertTrue(e.getMessage().contains("legacy"), e.getMessage());
    }

    @Test
    void disallowedGlobalIsRefusedAndNothingRuns() throws IOException {
        Path marker = tmp.resolve("pwned");
        // pickle for os.system("touch <marker>"), protocol 2
        String cmd = "touch " + marker;
        byte[] pickle = ("\u0080\u0002cos\nsystem\nX"
                        + new String(new byte[] {(byte) cmd.length(), 0, 0, 0}, StandardCharsets.ISO_8859_1) + cmd
                        + "\u0085R.")
                .getBytes(StandardCharsets.ISO_8859_1);
        Path evil = zip("evil.pth", Map.of("archive/data.pkl", pickle));
        TorchFormatException e = assertThrows(TorchFormatException.class, () -> TorchFileReader.read(evil));
        assertTrue(e.getMessage().contains("evil.pth") && e.getMessage().contains("os.system"), e.getMessage());
        assertFalse(Files.exists(marker));
    }

    @Test
    void storageShorterThanItsShapeNeedsIsRejected() throws IOException {
        Map<String, TorchTensor> sd = Map.of("w", new TorchTensor(new long[] {4}, new float[] {1, 2, 3, 4}));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", TorchFileWriter.pickle(sd));
        entries.put("archive/data/0", new byte[8]); // two floats where four are declared
        Path shortStorage = zip("short.pth", entries);
        TorchFormatException e = assertThrows(TorchFormatException.class, () -> TorchFileReader.read(shortStorage));
        assertTrue(e.getMessage().contains("short.pth") && e.getMessage().contains("holds 2 elements"), e.getMessage());
    }

    @Test
    void checkpointOfAnotherModelListsEveryProblemTogether() throws IOException {
        Map<String, TorchTensor> sd =
                TorchFileReader.readStateDict(TorchFixture.ROOT.resolve("torchvision-small/weights.pth"));
        DenseNetConfig other = DenseNetConfig.builder()
                .setGrowthRate(8)
                .setBlockLayers(2, 2)
                .optCompression(0.5)
                .optBottleneckWidth(2)
                .optStem(org.densenet4j.model.StemType.IMAGENET)
                .optStemWidth(16)
                .optClasses(6)
                .build();
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(other);
            net.initialize(m, DataType.FLOAT32, new ai.djl.ndarray.types.Shape(1, 3, 48, 48));
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> TorchWeights.load(net, sd, TorchLayout.TORCHVISION, true));
            assertTrue(
                    e.getMessage().contains("unexpected")
                            && e.getMessage().contains("denselayer3")
                            && e.getMessage().contains("shape mismatch")
                            && e.getMessage().contains("classifier.weight"),
                    e.getMessage());
            TorchWeights.ImportReport report = TorchWeights.load(net, sd, TorchLayout.TORCHVISION, false);
            assertFalse(report.isClean());
            assertTrue(report.loaded() > 10);
        }
    }
}
