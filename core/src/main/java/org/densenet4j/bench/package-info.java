/** Measuring densenet4j itself: throughput and peak memory of one inference or training workload. */
package org.densenet4j.bench;
