package org.densenet4j.torch;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.Presets;
import org.densenet4j.zoo.BundledModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zip layouts a second review crafted against .pth files and checkpoints, which were accepted: two data.pkl, an
 * entry outside the archive folder, a storage longer than its tensor (read as zeros), two checkpoint.json (the second
 * won). Each is refused naming the file.
 */
class HostileZipLayoutTest {

    @TempDir
    Path tmp;

    private static Map<String, byte[]> entries(Path zip) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) {
                try (InputStream in = z.getInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    private Path write(String name, Map<String, byte[]> entries) throws IOException {
        Path file = tmp.resolve(name);
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }

    private Path pth() throws IOException {
        Path out = tmp.resolve("genuine.pth");
        try (NDManager m = NDManager.newBaseManager()) {
            TorchFileWriter.write(
                    TorchWeights.stateDict(
                            ModelFiles.open(BundledModel.path(), m).network(), TorchLayout.TORCHVISION),
                    out);
        }
        return out;
    }

    private static void assertRefused(Path file, boolean pth, String problem) {
        IOException e = assertThrows(IOException.class, () -> {
            try (NDManager m = NDManager.newBaseManager()) {
                ModelFiles.open(
                        file,
                        pth
                                ? new ModelFiles.Options(Presets.named("densenet-bc-40-12"), null, null, true)
                                : ModelFiles.Options.none(),
                        m,
                        w -> {});
            }
        });
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void pthLayoutsThatWereAcceptedAreRefused() throws IOException {
        Map<String, byte[]> genuine = entries(pth());
        String root = genuine.keySet().iterator().next().split("/")[0] + "/";
        Map<String, byte[]> second = new LinkedHashMap<>(genuine);
        second.put("other/data.pkl", genuine.get(root + "data.pkl"));
        assertRefused(write("second-root.pth", second), true, "two data.pkl");
        Map<String, byte[]> outside = new LinkedHashMap<>(genuine);
        outside.put("other/notes.txt", new byte[] {1});
        assertRefused(write("outside.pth", outside), true, "outside its archive folder");
        Map<String, byte[]> longer = new LinkedHashMap<>(genuine);
        byte[] storage = genuine.get(root + "data/0");
        longer.put(root + "data/0", java.util.Arrays.copyOf(storage, storage.length + 4096));
        assertRefused(write("longer.pth", longer), true, "storage 0 holds");
    }

    @Test
    void aCheckpointWithAnEntryTwiceIsRefused() throws IOException {
        Map<String, byte[]> genuine = entries(BundledModel.path());
        Map<String, byte[]> twice = new LinkedHashMap<>();
        twice.put("checkpoint.jsoX", "{}".getBytes(StandardCharsets.UTF_8));
        twice.putAll(genuine);
        // A zip writer refuses a name twice: the first entry's name is patched in the written bytes.
        Path file = write("twice.d4j", twice);
        String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        Files.write(file, bytes.replace("checkpoint.jsoX", "checkpoint.json").getBytes(StandardCharsets.ISO_8859_1));
        assertRefused(file, false, "twice");
    }
}
