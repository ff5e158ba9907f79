package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Folders of images are searched without following links to folders, and not without end. */
class ImageInputsTest {

    @TempDir
    Path tmp;

    @Test
    void linksToFoldersAreNotFollowedButTheFolderNamedMayBeALink() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images/nested"));
        Files.write(images.resolve("a.png"), new byte[] {1});
        Files.write(tmp.resolve("images/b.jpg"), new byte[] {1});
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.write(elsewhere.resolve("outside.png"), new byte[] {1});
        Files.createSymbolicLink(tmp.resolve("images/link"), elsewhere);
        Files.createSymbolicLink(tmp.resolve("images/loop"), tmp.resolve("images")); // a cycle, never entered
        Files.createSymbolicLink(tmp.resolve("images/dir.png"), elsewhere); // a folder named like an image
        Files.createSymbolicLink(tmp.resolve("images/file.png"), elsewhere.resolve("outside.png"));

        List<Path> found = ImageInputs.expand(List.of(tmp.resolve("images")));
        assertEquals(
                List.of(tmp.resolve("images/b.jpg"), tmp.resolve("images/file.png"), images.resolve("a.png")), found);

        Path named = Files.createSymbolicLink(tmp.resolve("named"), tmp.resolve("images"));
        assertEquals(
                List.of(named.resolve("b.jpg"), named.resolve("file.png"), named.resolve("nested/a.png")),
                ImageInputs.expand(List.of(named)));
    }

    @Test
    void aTreeDeeperThanTheCapIsRefusedNamingIt() throws Exception {
        Path deep = tmp.resolve("deep");
        Path at = deep;
        for (int i = 0; i <= ImageInputs.MAX_DEPTH; i++) {
            at = at.resolve("d");
        }
        Files.createDirectories(at);
        Files.write(at.resolve("x.png"), new byte[] {1});
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ImageInputs.expand(List.of(deep)));
        assertTrue(e.getMessage().startsWith(deep + " nests folders more than 32 deep"), e.getMessage());

        Files.delete(at.resolve("x.png"));
        Files.delete(at);
        Files.write(at.getParent().resolve("x.png"), new byte[] {1});
        assertEquals(1, ImageInputs.expand(List.of(deep)).size(), "32 levels are searched");
    }

    @Test
    void aTreeOfMoreEntriesThanTheCapIsRefusedImagesOrNot() throws Exception {
        Path big = tmp.resolve("big");
        Files.createDirectories(big.resolve("sub"));
        for (int i = 0; i < 10; i++) {
            Files.write(big.resolve("sub/notes-" + i + ".txt"), new byte[] {1}); // not images: they count too
        }
        Files.write(big.resolve("x.png"), new byte[] {1});
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ImageInputs.expand(List.of(big), 8));
        assertTrue(e.getMessage().startsWith("more than 8 files and folders under " + big), e.getMessage());
        assertEquals(1, ImageInputs.expand(List.of(big), 13).size(), "13 entries: the folders and the files");
    }
}
