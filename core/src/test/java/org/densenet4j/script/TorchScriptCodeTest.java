package org.densenet4j.script;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.densenet4j.infer.Precision;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.TestFamilies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The TorchScript code densenet4j generates, for every family and variant, is the golden text in {@code code/}
 * ({@code N-VARIANT.py}, N the family's place in {@link TestFamilies#all()}), written by the three generators this
 * one emitter replaced. A change to the code shows here as a diff to review, and the golden archives
 * ({@link GoldenArchiveTest}) prove archives written with earlier code still load.
 */
class TorchScriptCodeTest {

    static final Path GOLDEN = Path.of("src/test/resources/org/densenet4j/script/code");

    static Stream<Arguments> families() {
        List<TestFamilies.Family> all = TestFamilies.all();
        return IntStream.range(0, all.size()).mapToObj(i -> Arguments.of(i, all.get(i)));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("families")
    void float32ArchiveCode(int n, TestFamilies.Family family) throws IOException {
        assertGolden(n + "-fp32.py", TorchScriptCode.of(family.config(), Precision.FP32));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("families")
    void foldedBf16ArchiveCode(int n, TestFamilies.Family family) throws IOException {
        assertGolden(n + "-bf16.py", TorchScriptCode.of(family.config(), Precision.BF16));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("families")
    void bf16TrainingCode(int n, TestFamilies.Family family) throws IOException {
        DenseNetConfig config = family.config();
        boolean[] trains = new boolean[2 * config.blockLayers().length + 1];
        Arrays.fill(trains, true);
        assertGolden(n + "-training.py", TorchScriptCode.training(config, trains));
    }

    /** With dropout, and the stem, the first block and the head kept fixed (eval mode) by a freeze. */
    @ParameterizedTest(name = "{1}")
    @MethodSource("families")
    void bf16TrainingCodeWithDropoutAndFrozenStages(int n, TestFamilies.Family family) throws IOException {
        DenseNetConfig config = family.config().toBuilder().optDropRate(0.2f).build();
        boolean[] trains = new boolean[2 * config.blockLayers().length + 1];
        Arrays.fill(trains, true);
        trains[0] = false;
        trains[1] = false;
        trains[trains.length - 1] = false;
        assertGolden(n + "-training-dropout-frozen.py", TorchScriptCode.training(config, trains));
    }

    private static void assertGolden(String file, String code) throws IOException {
        assertEquals(Files.readString(GOLDEN.resolve(file)), code, file);
    }
}
