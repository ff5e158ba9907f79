package org.densenet4j.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/**
 * The Hadoop configuration an executor reads files and tables with: Hadoop's default resources plus the
 * application's {@code spark.hadoop.*} settings (object-store credentials and endpoints, say), as the driver's
 * {@code SparkContext.hadoopConfiguration()} has them. A bare {@code new Configuration()} on an executor would miss
 * them, so a table in object storage that the driver can list could not be read by the tasks.
 */
final class ExecutorHadoop {

    private static final String PREFIX = "spark.hadoop.";

    private ExecutorHadoop() {}

    /** A new configuration with this process's Spark settings applied (only the defaults outside Spark). */
    static Configuration configuration() {
        SparkEnv env = SparkEnv.get();
        return configuration(env == null ? null : env.conf());
    }

    /** Hadoop's defaults with {@code conf}'s {@code spark.hadoop.*} entries, prefix removed (none when null). */
    static Configuration configuration(SparkConf conf) {
        Configuration hadoop = new Configuration(); // reads Hadoop's default resources
        if (conf != null) {
            for (Tuple2<String, String> entry : conf.getAll()) {
                if (entry._1().startsWith(PREFIX) && entry._1().length() > PREFIX.length()) {
                    hadoop.set(entry._1().substring(PREFIX.length()), entry._2());
                }
            }
        }
        return hadoop;
    }
}
