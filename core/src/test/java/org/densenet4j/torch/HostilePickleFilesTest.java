package org.densenet4j.torch;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.Presets;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Pickles a hostile review of the readers crafted (scripts/hostile_pickles.py): each is refused within seconds, in one
 * line naming the file and the problem, as an archive or as a .pth. Before, the shared lists hung the reader for ever,
 * the self-containing lists ended in a StackOverflowError, a 10^6-digit text number took 17 s, the flipped weights were
 * used, and None where a number belongs gave a message without the file.
 */
class HostilePickleFilesTest {

    private static final Path HOSTILE = Path.of("src/test/resources/org/densenet4j/torch/hostile");

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "laughs.pt, more than 1000000 objects",
        "laughs.pth, more than 1000000 objects",
        "cyc.pt, restore_type_tag",
        "cyc.pth, unsupported persistent id",
        "flip.pt, checksum does not match",
        "long100000.pth, a number as text",
        "npe.pt, unsupported persistent id",
        "npe.pth, unsupported persistent id",
        "npe2.pth, malformed pickle"
    })
    void isRefusedInOneLineNamingTheFile(String name, String problem) {
        Path file = HOSTILE.resolve(name);
        ModelFiles.Options options = name.endsWith(".pth")
                ? new ModelFiles.Options(Presets.named("densenet-bc-40-12"), null, null, true)
                : ModelFiles.Options.none();
        IOException e = Assertions.assertTimeoutPreemptively(
                Duration.ofSeconds(30),
                () -> assertThrows(IOException.class, () -> {
                    try (NDManager m = NDManager.newBaseManager()) {
                        ModelFiles.openForInference(file, options, m, w -> {});
                    }
                }));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(problem), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
