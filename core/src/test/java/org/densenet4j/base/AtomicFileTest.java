package org.densenet4j.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files appear whole or not at all, alone or together; temporaries never outlive a write; errors name the file. */
class AtomicFileTest {

    @TempDir
    Path tmp;

    private static AtomicFile.Content text(String s) {
        return out -> out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aFullDiskIsOneLineNamingTheFileAndTheOldFileStays() throws Exception {
        Path file = tmp.resolve("features.npy");
        Files.writeString(file, "old");
        IOException e = assertThrows(
                IOException.class,
                () -> AtomicFile.write(file, out -> {
                    out.write(new byte[1000]);
                    throw new IOException("No space left on device");
                }));
        assertEquals("cannot write " + file + ": No space left on device", e.getMessage());
        assertEquals("old", Files.readString(file));
        assertEquals(List.of("features.npy"), names(tmp), "no temporary left");
    }

    @Test
    void filesWrittenTogetherAppearTogetherOrNotAtAll() throws Exception {
        Path table = tmp.resolve("x.npy");
        Path list = tmp.resolve("x.txt");
        // The second file's content fails: the first is not renamed into place either.
        assertThrows(
                IOException.class,
                () -> AtomicFile.writeTogether(
                        List.of(new AtomicFile.Part(list, text("a.png\n")), new AtomicFile.Part(table, out -> {
                            throw new IOException("No space left on device");
                        }))));
        assertEquals(List.of(), names(tmp));

        // The second rename fails (a folder, not empty, holds its name): the first, renamed already, is removed.
        Files.createDirectories(table.resolve("in-the-way"));
        IOException e = assertThrows(
                IOException.class,
                () -> AtomicFile.writeTogether(List.of(
                        new AtomicFile.Part(list, text("a.png\n")), new AtomicFile.Part(table, text("table")))));
        assertTrue(e.getMessage().startsWith("cannot write " + table), e.getMessage());
        assertEquals(List.of("x.npy"), names(tmp), "x.txt removed, no temporaries: " + names(tmp));
        assertTrue(Files.isDirectory(table));

        Files.delete(table.resolve("in-the-way"));
        Files.delete(table);
        AtomicFile.writeTogether(
                List.of(new AtomicFile.Part(list, text("a.png\n")), new AtomicFile.Part(table, text("table"))));
        assertEquals(List.of("x.npy", "x.txt"), names(tmp));
        assertEquals("table", Files.readString(table));
    }

    @Test
    void aMissingFolderIsAnErrorNamingItAndNothingIsCreated() {
        Path file = tmp.resolve("nonexistent").resolve("deeper").resolve("x.npy");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(file, text("x")));
        assertTrue(e.getMessage().contains("the folder " + file.getParent() + " does not exist"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("nonexistent")));
    }

    @Test
    void leftoversOfKilledWritersAreRemovedByTheNextWriteIntoTheFolder() throws Exception {
        Process finished = new ProcessBuilder("true").start();
        finished.waitFor();
        long dead = finished.pid();
        long alive = ProcessHandle.current().parent().orElseThrow().pid();
        Files.write(tmp.resolve(".model.pth.densenet4j-" + dead + "-k3j2h1.tmp"), new byte[100]);
        Files.write(tmp.resolve(".other.onnx.densenet4j-" + dead + "-a1.tmp"), new byte[100]);
        Files.write(tmp.resolve(".model.pth.densenet4j-" + alive + "-zz.tmp"), new byte[100]);
        Files.write(tmp.resolve("notes123456789.tmp"), new byte[10]);
        AtomicFile.write(tmp.resolve("model.pth"), text("weights"));
        assertEquals(
                List.of(".model.pth.densenet4j-" + alive + "-zz.tmp", "model.pth", "notes123456789.tmp"),
                names(tmp),
                "a live writer's temporary and the user's files stay");
    }

    @Test
    void aNameAtTheFileSystemsLimitStillGetsATemporary() throws Exception {
        String name = "é".repeat(123) + ".npy"; // 250 bytes of UTF-8
        Path file = tmp.resolve(name);
        AtomicFile.write(file, text("x"));
        assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(file));
        assertEquals(List.of(name), names(tmp));
    }
}
