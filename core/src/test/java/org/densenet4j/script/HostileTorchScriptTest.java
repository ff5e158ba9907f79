package org.densenet4j.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayOutputStream;
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
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.Precision;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.io.NpyFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TorchScript archives crafted as an attacker would (the findings of the issue "Model files are data, never code"):
 * code that would run on load or on every prediction, two roots, a hostile sibling file, tensors that point outside
 * their storage, storages of the wrong size, duplicate entries, a deflated storage that inflates to gigabytes. Each
 * is refused with a message naming the file, or (the sibling) ignored; no code of an archive ever runs, so no marker
 * file appears; and the crash variants, run in a child JVM, end it cleanly.
 */
class HostileTorchScriptTest {

    /** What the hostile code would write if libtorch ever ran it. */
    private static final String MARKER = "densenet4j-pwned";

    @TempDir
    Path tmp;

    private static Path genuine(String precision) {
        return GoldenArchiveTest.GOLDEN.resolve("v1-2-" + precision + ".pt");
    }

    /** The archive's entries in order, as name and bytes. */
    private static Map<String, byte[]> entries(Path archive) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                try (InputStream in = zip.getInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    private static Path write(Path file, Map<String, byte[]> entries) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }

    private static byte[] replace(byte[] data, byte[] from, byte[] to, boolean all) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        boolean done = false;
        while (i < data.length) {
            if ((all || !done) && matches(data, i, from)) {
                out.writeBytes(to);
                i += from.length;
                done = true;
            } else {
                out.write(data[i++]);
            }
        }
        assertTrue(done, "pattern not found");
        return out.toByteArray();
    }

    private static boolean matches(byte[] data, int at, byte[] pattern) {
        if (at + pattern.length > data.length) {
            return false;
        }
        for (int j = 0; j < pattern.length; j++) {
            if (data[at + j] != pattern[j]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** {@code J} and a little-endian int32: how the exporter's pickle writes every integer. */
    private static byte[] int32(int v) {
        return new byte[] {'J', (byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    /** Python that writes the marker when its class is unpickled and on every forward, as the attack did. */
    private String hostileCode() {
        String marker = tmp.resolve(MARKER).toString();
        return "class Evil(Module):\n"
                + "  def __setstate__(self, state: Tuple[bool, NoneType]) -> NoneType:\n"
                + "    torch.save(torch.zeros([1]), \"" + marker + "\")\n"
                + "    return None\n"
                + "  def forward(self, images: Tensor) -> Tensor:\n"
                + "    torch.save(torch.zeros([1]), \"" + marker + "\")\n"
                + "    return images\n";
    }

    private Map<String, byte[]> withForeignClass(Map<String, byte[]> genuine) {
        Map<String, byte[]> e = new LinkedHashMap<>(genuine);
        e.put(
                "densenet4j/data.pkl",
                replace(
                        e.get("densenet4j/data.pkl"),
                        ascii("c__torch__\nDenseNet\n"),
                        ascii("c__torch__.evil\nEvil\n"),
                        false));
        e.put("densenet4j/code/__torch__/evil.py", hostileCode().getBytes(StandardCharsets.UTF_8));
        return e;
    }

    /** Every hostile variant, by name. */
    private Map<String, Path> variants() throws IOException {
        Map<String, byte[]> fp32 = entries(genuine("fp32"));
        Map<String, Path> out = new LinkedHashMap<>();
        out.put("foreign class with its code file", write(tmp.resolve("foreign-code.pt"), withForeignClass(fp32)));
        Map<String, byte[]> renamed = new LinkedHashMap<>(fp32);
        renamed.put(
                "densenet4j/data.pkl",
                replace(
                        renamed.get("densenet4j/data.pkl"),
                        ascii("c__torch__\nDenseNet\n"),
                        ascii("c__torch__\nEvil\n"),
                        false));
        out.put("foreign class", write(tmp.resolve("foreign-class.pt"), renamed));
        Map<String, byte[]> builtins = new LinkedHashMap<>(fp32);
        builtins.put(
                "densenet4j/data.pkl",
                replace(
                        builtins.get("densenet4j/data.pkl"),
                        ascii("c__torch__\nDenseNet\n"),
                        ascii("cbuiltins\neval\n"),
                        false));
        out.put("a Python builtin", write(tmp.resolve("builtin.pt"), builtins));
        Map<String, byte[]> twoRoots = new LinkedHashMap<>();
        withForeignClass(fp32).forEach((k, v) -> twoRoots.put(k.replace("densenet4j/", "evil/"), v));
        twoRoots.putAll(fp32);
        out.put("two roots, hostile first", write(tmp.resolve("two-roots.pt"), twoRoots));
        Map<String, byte[]> offset = new LinkedHashMap<>(fp32);
        offset.put(
                "densenet4j/data.pkl",
                replace(
                        offset.get("densenet4j/data.pkl"),
                        ascii("Q" + "J\0\0\0\0"),
                        concat(ascii("Q"), int32(5)),
                        false));
        out.put("offset just outside the storage", write(tmp.resolve("offset-small.pt"), offset));
        Map<String, byte[]> farOffset = new LinkedHashMap<>(fp32);
        farOffset.put(
                "densenet4j/data.pkl",
                replace(
                        farOffset.get("densenet4j/data.pkl"),
                        ascii("Q" + "J\0\0\0\0"),
                        concat(ascii("Q"), int32(1 << 30)),
                        true));
        out.put("offsets far outside the storages", write(tmp.resolve("offset-far.pt"), farOffset));
        Map<String, byte[]> stride = new LinkedHashMap<>(fp32);
        stride.put(
                "densenet4j/data.pkl",
                replace(
                        stride.get("densenet4j/data.pkl"),
                        concat(ascii("("), int32(1), ascii("t\u0089")),
                        concat(ascii("("), int32(1 << 20), ascii("t\u0089")),
                        false));
        out.put("a stride past the storage", write(tmp.resolve("stride.pt"), stride));
        Map<String, byte[]> shortened = new LinkedHashMap<>(fp32);
        byte[] storage = shortened.get("densenet4j/data/3");
        shortened.put("densenet4j/data/3", java.util.Arrays.copyOf(storage, storage.length / 2));
        shortened.put("densenet4j/data/9999", storage);
        out.put("a shortened storage, padded by an unreferenced one", write(tmp.resolve("short.pt"), shortened));
        out.put("a duplicate data.pkl", duplicateDataPkl(fp32));
        out.put("an inflating storage", bomb(fp32));
        Map<String, byte[]> future = new LinkedHashMap<>(fp32);
        future.put(
                "densenet4j/extra/model.json",
                replace(future.get("densenet4j/extra/model.json"), ascii("{"), ascii("{\"format\":99,"), false));
        out.put("a future format", write(tmp.resolve("future.pt"), future));
        out.put("an empty file", Files.write(tmp.resolve("empty.pt"), new byte[0]));
        byte[] whole = Files.readAllBytes(genuine("fp32"));
        out.put(
                "a truncated archive",
                Files.write(tmp.resolve("cut.pt"), java.util.Arrays.copyOf(whole, whole.length / 2)));
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** A second data.pkl (a zip writer refuses duplicate names: the name is patched in the written bytes). */
    private Path duplicateDataPkl(Map<String, byte[]> genuine) throws IOException {
        Map<String, byte[]> e = new LinkedHashMap<>();
        byte[] hostile = withForeignClass(genuine).get("densenet4j/data.pkl");
        e.put("densenet4j/data.pkX", hostile);
        e.putAll(genuine);
        Path file = write(tmp.resolve("duplicate.pt"), e);
        Files.write(file, replace(Files.readAllBytes(file), ascii("data.pkX"), ascii("data.pkl"), true));
        return file;
    }

    /** Storage 0 declared 64 MB in data.pkl and stored deflated, as a zip bomb is. */
    private Path bomb(Map<String, byte[]> genuine) throws IOException {
        Path file = tmp.resolve("bomb.pt");
        int elements = 16 << 20;
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, byte[]> e : genuine.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                if (e.getKey().equals("densenet4j/data/0")) {
                    byte[] zeros = new byte[1 << 20];
                    for (int i = 0; i < 4 * elements / zeros.length; i++) {
                        zip.write(zeros);
                    }
                } else if (e.getKey().equals("densenet4j/data.pkl")) {
                    zip.write(patchFirstNumel(e.getValue(), elements));
                } else {
                    zip.write(e.getValue());
                }
                zip.closeEntry();
            }
        }
        return file;
    }

    /** The first persistent id's element count ('cpu', then the count, then TUPLE) set to {@code elements}. */
    private static byte[] patchFirstNumel(byte[] pickle, int elements) {
        byte[] cpu = concat(new byte[] {'X', 3, 0, 0, 0}, ascii("cpu"));
        for (int i = 0; i < pickle.length; i++) {
            if (matches(pickle, i, cpu)) {
                byte[] out = pickle.clone();
                byte[] count = int32(elements);
                System.arraycopy(count, 0, out, i + cpu.length, count.length);
                return out;
            }
        }
        throw new AssertionError("no persistent id in data.pkl");
    }

    @Test
    void everyHostileVariantIsRefusedNamingTheFileAndNoCodeRuns() throws Exception {
        for (Map.Entry<String, Path> v : variants().entrySet()) {
            try (NDManager m = NDManager.newBaseManager()) {
                IOException e = assertThrows(
                        IOException.class,
                        () -> ModelFiles.openForInference(v.getValue(), ModelFiles.Options.none(), m, w -> {}),
                        v.getKey());
                assertTrue(e.getMessage().contains(v.getValue().toString()), v.getKey() + ": " + e.getMessage());
                assertFalse(e.getMessage().contains("\n"), v.getKey() + ": one line: " + e.getMessage());
            }
        }
        assertFalse(Files.exists(tmp.resolve(MARKER)), "an archive's code ran");
    }

    @Test
    void aSmallArchiveDescribingALargeNetworkIsRefusedBeforeItIsBuilt() throws Exception {
        // The golden archive's tensors, its description changed to a network about a hundred times larger (it
        // would fit in memory, so only the count of stored values can refuse it before it is built).
        Map<String, byte[]> large = new LinkedHashMap<>(entries(genuine("fp32")));
        large.put(
                "densenet4j/extra/model.json",
                replace(
                        large.get("densenet4j/extra/model.json"),
                        ascii("\"growthRate\":4,\"blockLayers\":[2,3,2]"),
                        ascii("\"growthRate\":40,\"blockLayers\":[20,30,20]"),
                        false));
        Path file = write(tmp.resolve("large.pt"), large);
        try (NDManager m = NDManager.newBaseManager()) {
            IOException e = assertThrows(
                    IOException.class, () -> ModelFiles.openForInference(file, ModelFiles.Options.none(), m, w -> {}));
            assertTrue(
                    e.getMessage().contains(file.toString()) && e.getMessage().contains("describes a network of"),
                    e.getMessage());
        }
    }

    @Test
    void foreignCodeBesideTheGenuineStateNeverRuns() throws Exception {
        Map<String, byte[]> code = entries(genuine("fp32"));
        code.put("densenet4j/code/__torch__.py", hostileCode().getBytes(StandardCharsets.UTF_8));
        Path archive = write(tmp.resolve("code.pt"), code);
        assertEquals(logits(genuine("fp32")), logits(archive), "the archive's own code is never what runs");
        assertFalse(Files.exists(tmp.resolve(MARKER)), "an archive's code ran");
    }

    @Test
    void aHostileSiblingFileIsNeverLoaded() throws Exception {
        Assumptions.assumeTrue(Precision.BF16.isSupported(), "bf16 archives compile through libtorch");
        Path dir = Files.createDirectories(tmp.resolve("models"));
        Path model = Files.copy(genuine("bf16"), dir.resolve("model.pt"));
        // DJL's Model.load(dir, "model") would load this file before model.pt.
        write(dir.resolve("model"), withForeignClass(entries(genuine("fp32"))));
        assertEquals(logits(genuine("bf16")), logits(model));
        assertFalse(Files.exists(tmp.resolve(MARKER)), "the sibling's code ran");
    }

    private static List<Float> logits(Path archive) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            InferenceModel model = ModelFiles.openForInference(archive, ModelFiles.Options.none(), m, w -> {});
            float[] out = model.inferenceBlock(m)
                    .forward(
                            new ParameterStore(m, false),
                            new NDList(NpyFile.read(GoldenArchiveTest.GOLDEN.resolve("input-2.npy"), m)),
                            false)
                    .singletonOrThrow()
                    .toFloatArray();
            List<Float> list = new ArrayList<>();
            for (float f : out) {
                list.add(f);
            }
            return list;
        }
    }

    /** Opens each file named on the command line and prints one line for it: what the crash test runs. */
    public static void main(String[] args) {
        for (String name : args) {
            try (NDManager m = NDManager.newBaseManager()) {
                InferenceModel model =
                        ModelFiles.openForInference(Path.of(name), ModelFiles.Options.none(), m, w -> {});
                model.inferenceBlock(m)
                        .forward(
                                new ParameterStore(m, false),
                                new NDList(m.zeros(model.spec().batchShape(1))),
                                false);
                System.out.println("accepted " + name);
            } catch (IOException | IllegalArgumentException e) {
                System.out.println("refused " + name);
            }
        }
    }

    @Test
    void theCrashVariantsEndAChildJvmCleanly() throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                HostileTorchScriptTest.class.getName()));
        Map<String, Path> variants = variants();
        variants.values().forEach(p -> command.add(p.toString()));
        Process child = new ProcessBuilder(command)
                .directory(tmp.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        assertEquals(0, child.exitValue(), "the child JVM crashed:\n" + out);
        for (Path p : variants.values()) {
            assertTrue(out.contains("refused " + p), "not refused: " + p + "\n" + out);
        }
        try (var files = Files.list(tmp)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().startsWith("hs_err")), "a JVM crash log");
        }
        assertFalse(Files.exists(tmp.resolve(MARKER)), "an archive's code ran");
    }
}
