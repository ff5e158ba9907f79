package org.densenet4j.spark;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Settings the driver passes on to its executors before the Spark session starts. Executors run in other JVMs,
 * often on other machines, and do not inherit the driver's environment.
 */
final class ExecutorEnvironment {

    /**
     * The oneDNN instruction-set cap (see scripts/onednn.sh): on machines whose CPU reports no cache topology,
     * libtorch's oneDNN computes wrong convolutions or dies without it, and executors on such machines need it as
     * much as the driver that the launcher set it for.
     */
    static final String ONEDNN_ISA = "ONEDNN_MAX_CPU_ISA";

    private ExecutorEnvironment() {}

    /**
     * Gives {@code builder} the driver's {@value #ONEDNN_ISA} for the executors when the driver has one and the user
     * configured none ({@code spark.executorEnv.ONEDNN_MAX_CPU_ISA}, which then wins).
     */
    static SparkSession.Builder propagate(SparkSession.Builder builder) {
        settings(System.getenv(), new SparkConf()).forEach(builder::config);
        return builder;
    }

    /** The settings {@link #propagate} adds, given the driver's environment and configuration. */
    static Map<String, String> settings(Map<String, String> env, SparkConf conf) {
        String key = "spark.executorEnv." + ONEDNN_ISA;
        String value = env.get(ONEDNN_ISA);
        if (value == null || value.isBlank() || conf.contains(key)) {
            return Map.of();
        }
        return Map.of(key, value);
    }
}
