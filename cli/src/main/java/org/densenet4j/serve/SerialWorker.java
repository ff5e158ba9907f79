package org.densenet4j.serve;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One thread that runs jobs in arrival order (work that cannot run in parallel, such as explanations on one
 * network), admitting a job only while the jobs ahead fit a {@link LatencyBudget}; it records each job's time there.
 */
final class SerialWorker {

    private final String what;
    private final LatencyBudget budget;
    private final ExecutorService thread;

    /** @param what the jobs' name in refusals ("explanations") */
    SerialWorker(String what, String threadName, LatencyBudget budget) {
        this.what = what;
        this.budget = budget;
        this.thread = Executors.newSingleThreadExecutor(DaemonThreads.named(threadName));
    }

    /**
     * Runs one job on the calling thread before the service opens: it warms the work up, and its time is the latency
     * budget's first measure. A job that fails leaves the budget at its floor.
     */
    void warmUp(Runnable job) {
        long start = System.nanoTime();
        try {
            job.run();
        } catch (RuntimeException e) { // a model answering NaN: each request reports it
            return;
        }
        budget.record(System.nanoTime() - start, 1);
    }

    /** True if a job submitted now would be admitted. */
    boolean hasRoom() {
        return budget.hasRoom();
    }

    /** The refusal for a request that found no room by {@link #hasRoom()}. */
    OverloadedException overloaded() {
        return budget.overloaded(what);
    }

    /**
     * Queues a job; the future completes with its result or its exception.
     *
     * @throws OverloadedException if the queue already holds what the latency budget allows, or the worker stopped
     */
    <T> CompletableFuture<T> submit(Callable<T> job) throws OverloadedException {
        budget.admit(what);
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                long start = System.nanoTime();
                T value;
                try {
                    value = job.call();
                } catch (Exception e) {
                    budget.release();
                    result.completeExceptionally(e);
                    return;
                } catch (Error e) { // the waiting client still gets an answer
                    budget.release();
                    result.completeExceptionally(e);
                    throw e;
                }
                budget.record(System.nanoTime() - start, 1);
                budget.release();
                result.complete(value);
            });
        } catch (RejectedExecutionException e) {
            budget.release();
            throw new OverloadedException("the service is shutting down", 1);
        }
        return result;
    }

    /**
     * Finishes the queued jobs (for at most {@code grace}), then stops the thread. A job that outlives the grace keeps
     * running: see {@link #stopped()}.
     */
    void close(Duration grace) {
        thread.shutdown();
        try {
            thread.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True once {@link #close} has stopped the thread: no job runs, and none will. */
    boolean stopped() {
        return thread.isTerminated();
    }
}
