package org.densenet4j.torch;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sizes declared inside a .pth are checked against the file before anything is allocated: each crafted file
 * ends in a {@link TorchFormatException} naming it, quickly and without a large allocation.
 */
class HostileTorchFileTest {

    @TempDir
    Path tmp;

    /** A pickle writer for crafted files: just the opcodes these cases need. */
    private static final class Pickle {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int code) {
            out.write(code);
            return this;
        }

        Pickle int32(long v) {
            for (int i = 0; i < 4; i++) {
                out.write((int) (v >>> (8 * i)) & 0xff);
            }
            return this;
        }

        Pickle text(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X').int32(b.length);
            out.write(b, 0, b.length);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            byte[] b = (module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII);
            out.write(b, 0, b.length);
            return this;
        }

        /** {key: _rebuild_tensor_v2(storage(FloatStorage, key, numel), 0, (numel,), (1,))} for each numel. */
        static byte[] stateDict(long... numels) {
            Pickle p = new Pickle();
            p.op(0x80).op(2).op('}').op('(');
            for (int i = 0; i < numels.length; i++) {
                p.text("t" + i).global("torch._utils", "_rebuild_tensor_v2").op('(');
                p.op('(')
                        .text("storage")
                        .global("torch", "FloatStorage")
                        .text(Integer.toString(i))
                        .text("cpu")
                        .op('J')
                        .int32(numels[i])
                        .op('t')
                        .op('Q');
                p.op('J')
                        .int32(0)
                        .op('(')
                        .op('J')
                        .int32(numels[i])
                        .op('t')
                        .op('(')
                        .op('J')
                        .int32(1)
                        .op('t');
                p.op(0x89).op('t').op('R');
            }
            return p.op('u').op('.').out.toByteArray();
        }
    }

    private Path archive(String name, byte[] pickle, int storages, byte[] storageData) throws IOException {
        Path file = tmp.resolve(name);
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            stored(zip, "archive/data.pkl", pickle);
            for (int i = 0; i < storages; i++) {
                stored(zip, "archive/data/" + i, storageData);
            }
        }
        return file;
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private static TorchFormatException refused(Path file, String... words) {
        TorchFormatException e = assertThrows(TorchFormatException.class, () -> TorchFileReader.readStateDict(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), e.getMessage());
        }
        return e;
    }

    @Test
    void aFourGigabyteStorageIsRefusedBeforeItIsRead() throws IOException {
        Path bomb = tmp.resolve("bomb.pth");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(bomb))) {
            stored(zip, "archive/data.pkl", Pickle.stateDict(1L << 30));
            zip.putNextEntry(new ZipEntry("archive/data/0")); // deflated zeros: 16 MB in a few KB
            zip.write(new byte[16 << 20]);
            zip.closeEntry();
        }
        refused(bomb, "storage 0", "over 2 GB");
    }

    @Test
    void aDeflatedStorageInflatingFarBeyondItsSizeIsAZipBomb() throws IOException {
        Path bomb = tmp.resolve("ratio.pth");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(bomb))) {
            stored(zip, "archive/data.pkl", Pickle.stateDict(4L << 20));
            zip.putNextEntry(new ZipEntry("archive/data/0"));
            zip.write(new byte[16 << 20]);
            zip.closeEntry();
        }
        refused(bomb, "zip bomb");
    }

    @Test
    void storagesDeclaringMoreThanTheHeapHoldsAreRefusedBeforeAnyIsRead() throws IOException {
        long each = 475_000_000L; // 1.9 GB of floats, three times
        refused(archive("three.pth", Pickle.stateDict(each, each, each), 3, new byte[16]), "Java heap", "-Xmx");
    }

    @Test
    void aStorageShorterThanDeclaredIsRefused() throws IOException {
        refused(archive("short.pth", Pickle.stateDict(1000), 1, new byte[40]), "storage 0", "holds 10 elements");
    }

    @Test
    void deepNestingIsRefusedWithoutOverflowingTheStack() throws IOException {
        Pickle p = new Pickle().op(0x80).op(2);
        int depth = 200_000;
        for (int i = 0; i < depth; i++) {
            p.op(']');
        }
        for (int i = 0; i < depth - 1; i++) {
            p.op('a');
        }
        refused(archive("deep.pth", p.op('.').out.toByteArray(), 0, new byte[0]), "nested more than");
    }

    @Test
    void aPickleOfMarksAloneIsRefusedBeforeItFillsTheHeap() throws IOException {
        Pickle p = new Pickle().op(0x80).op(2);
        for (int i = 0; i < 1_000_001; i++) {
            p.op('(');
        }
        refused(archive("marks.pth", p.op('.').out.toByteArray(), 0, new byte[0]), "more than 1000000 tuples or lists");
    }

    @Test
    void aDeclaredTwoGigabyteStringIsRefusedBeforeItIsAllocated() throws IOException {
        Pickle p = new Pickle().op(0x80).op(2).op('X').int32(2_000_000_000L);
        p.out.write(new byte[100], 0, 100);
        refused(archive("string.pth", p.op('.').out.toByteArray(), 0, new byte[0]), "2000000000-byte value");
    }
}
