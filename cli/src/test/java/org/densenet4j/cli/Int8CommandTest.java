package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.densenet4j.infer.Precision;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code --precision int8}: predict agrees with fp32; misuse and the verbs without int8 are usage errors. */
class Int8CommandTest {

    private static final String SAMPLES = "../models/fashion-mnist/samples";

    @Test
    void int8PredictsWhatFp32PredictsCalibratedOnAFolderOrTheTrainingSet() {
        Assumptions.assumeTrue(Precision.INT8.isSupported(), "this CPU has neither avx512_vnni nor amx_int8");
        CliRunner fp32 = CliRunner.run("predict", SAMPLES, "--topk", "1");
        CliRunner trainingSet = CliRunner.run("predict", SAMPLES, "--topk", "1", "--precision", "int8");
        assertEquals(0, trainingSet.exitCode(), trainingSet.err());
        assertTrue(trainingSet.err().contains("int8 calibrated on 256 image(s) of fashion-mnist"), trainingSet.err());
        assertEquals(fp32.out().replaceAll(" [0-9.]+%", ""), trainingSet.out().replaceAll(" [0-9.]+%", ""));
        CliRunner folder = CliRunner.run(
                "predict",
                SAMPLES,
                "--topk",
                "1",
                "--precision",
                "int8",
                "--calibrate",
                SAMPLES,
                "--calibrate-images",
                "4");
        assertEquals(0, folder.exitCode(), folder.err());
        assertTrue(folder.err().contains("int8 calibrated on 4 image(s) of " + SAMPLES), folder.err());
    }

    @Test
    void misuseAndVerbsWithoutInt8AreUsageErrors() {
        CliRunner fp32Calibrated = CliRunner.run("predict", SAMPLES, "--calibrate", SAMPLES);
        assertEquals(2, fp32Calibrated.exitCode());
        assertTrue(fp32Calibrated.err().contains("--calibrate is for --precision int8"), fp32Calibrated.err());
        CliRunner none = CliRunner.run("predict", SAMPLES, "--precision", "int8", "--calibrate-images", "0");
        assertEquals(2, none.exitCode());
        assertTrue(none.err().contains("--calibrate-images must be between 1 and 10000"), none.err());
        CliRunner export = CliRunner.run(
                "export",
                "--weights",
                "../models/fashion-mnist/densenet-bc-40-12.d4j",
                "--format",
                "torchscript",
                "--precision",
                "int8",
                "--out",
                "unused.pt");
        assertEquals(2, export.exitCode());
        assertTrue(export.err().contains("export --precision int8 is not available yet"), export.err());
        CliRunner train = CliRunner.run(
                "bench",
                "--model",
                "densenet-bc-40-12",
                "--mode",
                "train",
                "--precision",
                "int8",
                "--iterations",
                "1",
                "--warmup",
                "0");
        assertEquals(2, train.exitCode());
        assertTrue(train.err().contains("int8 is for inference"), train.err());
    }
}
