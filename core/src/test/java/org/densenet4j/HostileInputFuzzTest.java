package org.densenet4j;

import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.densenet4j.data.CifarReader;
import org.densenet4j.data.IdxReader;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.torch.TorchFileReader;
import org.densenet4j.torch.TorchFileWriter;
import org.densenet4j.torch.TorchTensor;
import org.densenet4j.zoo.BundledModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of valid files fed to every reader of untrusted input: the .pth reader, the checkpoint
 * reader, the IDX and CIFAR readers and the image decoder behind uploads. Each mutant either reads or ends in a
 * documented exception ({@link IOException} or {@link IllegalArgumentException}, with a message); never an
 * {@link Error} (out of memory, stack overflow) and never an undocumented runtime exception. The seed of a
 * failing mutant is in the failure message, so it can be replayed.
 */
class HostileInputFuzzTest {

    static final int MUTANTS = 150;
    static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    @TempDir
    Path tmp;

    @FunctionalInterface
    interface Reader {
        void read(Path file) throws Exception;
    }

    /** A mutant: a few bytes flipped or set to extreme values, or the file cut short. */
    static byte[] mutate(byte[] valid, Random random) {
        byte[] b = valid.clone();
        switch (random.nextInt(4)) {
            case 0 -> {
                for (int i = 0, n = 1 + random.nextInt(8); i < n; i++) {
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> { // a header-sized field set to an extreme value
                int at = random.nextInt(Math.max(1, Math.min(b.length - 4, 64)));
                int v = random.nextBoolean() ? Integer.MAX_VALUE : random.nextInt();
                for (int i = 0; i < 4 && at + i < b.length; i++) {
                    b[at + i] = (byte) (v >>> (8 * (random.nextBoolean() ? i : 3 - i)));
                }
            }
            case 2 -> {
                return java.util.Arrays.copyOf(b, random.nextInt(b.length));
            }
            default -> {
                int at = random.nextInt(b.length);
                b[at] = (byte) random.nextInt(256);
            }
        }
        return b;
    }

    /** A zip with one entry replaced by a mutant of itself (so that the zip's checksums still hold). */
    static byte[] mutateEntry(Path zip, String entry, Random random) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipFile in = new ZipFile(zip.toFile());
                ZipOutputStream z = new ZipOutputStream(out)) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] data;
                try (InputStream s = in.getInputStream(e)) {
                    data = s.readAllBytes();
                }
                z.putNextEntry(new ZipEntry(e.getName()));
                z.write(e.getName().endsWith(entry) ? mutate(data, random) : data);
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    private void fuzz(String what, byte[] valid, Reader reader) throws IOException {
        fuzz(what, random -> mutate(valid, random), reader);
    }

    @FunctionalInterface
    interface Mutator {
        byte[] mutant(Random random) throws IOException;
    }

    private void fuzz(String what, Mutator mutator, Reader reader) throws IOException {
        Path file = tmp.resolve("mutant-" + what);
        for (int seed = 0; seed < MUTANTS; seed++) {
            Files.write(file, mutator.mutant(new Random(seed)));
            try {
                reader.read(file);
            } catch (IOException | IllegalArgumentException e) {
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    fail(what + " mutant " + seed + ": " + e.getClass().getName() + " without a message");
                }
            } catch (Throwable t) {
                throw new AssertionError(what + " mutant " + seed + " (new Random(" + seed + ")): " + t, t);
            }
        }
    }

    @Test
    void torchFiles() throws Exception {
        Map<String, TorchTensor> sd = new LinkedHashMap<>();
        sd.put("features.conv0.weight", new TorchTensor(new long[] {4, 1, 3, 3}, new float[36]));
        sd.put("features.norm5.num_batches_tracked", new TorchTensor(new long[0], new float[] {3}, true));
        sd.put("classifier.bias", new TorchTensor(new long[] {10}, new float[10]));
        Path valid = tmp.resolve("valid.pth");
        TorchFileWriter.write(sd, valid);
        fuzz("pth", Files.readAllBytes(valid), TorchFileReader::readStateDict);
        fuzz("pth-pickle", random -> mutateEntry(valid, "data.pkl", random), TorchFileReader::readStateDict);
        fuzz("pth-storage", random -> mutateEntry(valid, "data/0", random), TorchFileReader::readStateDict);
    }

    @Test
    void checkpoints() throws Exception {
        Path valid = BundledModel.path();
        Reader read = file -> {
            try (NDManager manager = NDManager.newBaseManager()) {
                ModelFiles.open(file, manager);
            }
        };
        fuzz("d4j", random -> mutate(Files.readAllBytes(valid), random), read);
        fuzz("d4j-json", random -> mutateEntry(valid, "checkpoint.json", random), read);
        fuzz("d4j-parameters", random -> mutateEntry(valid, "parameters.djl", random), read);
    }

    /**
     * TorchScript archives (a float32 and a bf16 one): the whole file, {@code data.pkl}, each extra file, a storage
     * and the code mutated. A mutant is refused, or read as an archive whose checks it passes (the code is never
     * run, so a mutated code file is accepted as is).
     */
    @Test
    void torchScriptArchives() throws Exception {
        Reader read = file -> {
            try (NDManager manager = NDManager.newBaseManager()) {
                ModelFiles.openForInference(file, ModelFiles.Options.none(), manager, w -> {});
            }
        };
        for (String precision : List.of("fp32", "bf16")) {
            if (precision.equals("bf16") && !org.densenet4j.infer.Precision.BF16.isSupported()) {
                continue;
            }
            Path valid = Path.of("src/test/resources/org/densenet4j/script/golden/v1-2-" + precision + ".pt");
            fuzz("pt-" + precision, random -> mutate(Files.readAllBytes(valid), random), read);
            for (String entry : List.of(
                    "data.pkl",
                    "model.json",
                    "classes.json",
                    "normalization.json",
                    "input.json",
                    "data/0",
                    "__torch__.py")) {
                fuzz(
                        "pt-" + precision + "-" + entry.replace('/', '-'),
                        random -> mutateEntry(valid, entry, random),
                        read);
            }
        }
    }

    @Test
    void idxFiles() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x803);
        out.writeInt(20);
        out.writeInt(28);
        out.writeInt(28);
        out.write(new byte[20 * 28 * 28]);
        ByteArrayOutputStream labels = new ByteArrayOutputStream();
        DataOutputStream l = new DataOutputStream(labels);
        l.writeInt(0x801);
        l.writeInt(20);
        l.write(new byte[20]);
        Path labelFile = Files.write(tmp.resolve("labels"), labels.toByteArray());
        fuzz("idx", bytes.toByteArray(), file -> IdxReader.read(file, labelFile, DIGITS));
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(bytes.toByteArray());
        }
        fuzz("idx.gz", gz.toByteArray(), file -> IdxReader.read(file, labelFile, DIGITS, 10));
    }

    @Test
    void cifarFiles() throws Exception {
        byte[] records = new byte[5 * 3073];
        Path dir = Files.createDirectories(tmp.resolve("cifar"));
        fuzz("cifar", records, file -> {
            Files.copy(file, dir.resolve("test_batch.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            CifarReader.cifar10(dir, false);
        });
    }

    @Test
    void uploadedImages() throws Exception {
        java.awt.image.BufferedImage image =
                new java.awt.image.BufferedImage(40, 30, java.awt.image.BufferedImage.TYPE_INT_RGB);
        image.setRGB(5, 5, 0xff8800);
        for (String format : new String[] {"png", "jpg"}) {
            ByteArrayOutputStream encoded = new ByteArrayOutputStream();
            ImageIO.write(image, format, encoded);
            fuzz(
                    format,
                    encoded.toByteArray(),
                    file -> ImageFiles.decode(new ByteArrayInputStream(Files.readAllBytes(file)), file, 1_000_000));
        }
    }
}
