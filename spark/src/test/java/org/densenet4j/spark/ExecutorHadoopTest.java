package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** Executors read files with the application's spark.hadoop.* settings, as the driver does. */
class ExecutorHadoopTest {

    @Test
    void theApplicationsHadoopSettingsReachTheExecutorsConfiguration() {
        SparkConf conf = new SparkConf(false)
                .set("spark.hadoop.fs.s3a.endpoint", "http://objects.example:9000")
                .set("spark.hadoop.fs.s3a.path.style.access", "true")
                .set("spark.executor.memory", "2g")
                .set("spark.hadoop.", "no key");
        Configuration hadoop = ExecutorHadoop.configuration(conf);
        assertEquals("http://objects.example:9000", hadoop.get("fs.s3a.endpoint"));
        assertEquals("true", hadoop.get("fs.s3a.path.style.access"));
        assertNull(hadoop.get("spark.executor.memory"), "only spark.hadoop.* settings are Hadoop's");
        assertNull(hadoop.get("executor.memory"));
        assertNull(hadoop.get(""), "an empty key is not set");
    }

    @Test
    void outsideSparkItIsHadoopsDefaults() {
        assertEquals(
                new Configuration().get("fs.defaultFS"),
                ExecutorHadoop.configuration(null).get("fs.defaultFS"));
    }
}
