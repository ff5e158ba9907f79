/**
 * Classifying image collections larger than one machine on Apache Spark: the model is loaded once per
 * executor and applied to batches within each partition; bad images become error rows.
 */
package org.densenet4j.spark;
