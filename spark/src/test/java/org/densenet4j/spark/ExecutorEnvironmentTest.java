package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The driver's oneDNN cap reaches the executors unless the user configured theirs. */
class ExecutorEnvironmentTest {

    private static final String KEY = "spark.executorEnv.ONEDNN_MAX_CPU_ISA";

    @Test
    void theDriversCapIsPassedOnAndTheUsersSettingWins() {
        Map<String, String> driver = Map.of("ONEDNN_MAX_CPU_ISA", "SSE41");
        assertEquals(Map.of(KEY, "SSE41"), ExecutorEnvironment.settings(driver, new SparkConf(false)));
        assertEquals(Map.of(), ExecutorEnvironment.settings(driver, new SparkConf(false).set(KEY, "AVX2")));
        assertEquals(Map.of(), ExecutorEnvironment.settings(Map.of(), new SparkConf(false)));
    }
}
