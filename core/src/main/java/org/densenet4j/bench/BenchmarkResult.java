package org.densenet4j.bench;

/**
 * What a workload measured.
 *
 * @param imagesPerSecond batch size over the median iteration time
 * @param medianSeconds the median iteration time
 * @param iterations timed iterations (after warm-up)
 * @param peakRssBytes the process's peak resident memory (VmHWM) after the run
 */
public record BenchmarkResult(double imagesPerSecond, double medianSeconds, int iterations, long peakRssBytes) {}
