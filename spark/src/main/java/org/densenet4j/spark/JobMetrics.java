package org.densenet4j.spark;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Spark's own account of the job: wall time from job start to end, and the executors' run time summed
 * over tasks, as the Spark UI shows them.
 */
final class JobMetrics extends SparkListener {

    private final AtomicLong firstJobStart = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastJobEnd = new AtomicLong();
    private final AtomicLong executorRunMillis = new AtomicLong();
    private final AtomicLong tasks = new AtomicLong();

    @Override
    public void onJobStart(SparkListenerJobStart start) {
        firstJobStart.accumulateAndGet(start.time(), Math::min);
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd end) {
        lastJobEnd.accumulateAndGet(end.time(), Math::max);
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.taskMetrics() != null) {
            executorRunMillis.addAndGet(end.taskMetrics().executorRunTime());
        }
        tasks.incrementAndGet();
    }

    double jobSeconds() {
        return Math.max(0, lastJobEnd.get() - firstJobStart.get()) / 1000.0;
    }

    double executorRunSeconds() {
        return executorRunMillis.get() / 1000.0;
    }

    long tasks() {
        return tasks.get();
    }
}
