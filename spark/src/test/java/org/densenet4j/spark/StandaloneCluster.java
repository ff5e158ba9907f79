package org.densenet4j.spark;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Spark standalone cluster on this machine for tests: a Master and a Worker as separate JVMs, started from a Spark
 * installation laid out as a binary distribution is ({@code SPARK_HOME/jars} holding Spark and its own copies of the
 * libraries densenet4j also uses), and {@code spark-submit} as its script runs it. The Worker starts without the
 * test's {@code ONEDNN_MAX_CPU_ISA}: executors get it from the driver, as they would on machines of their own.
 */
final class StandaloneCluster implements AutoCloseable {

    /** Spark 3.5 on Java 17 needs these opens; its scripts add them. */
    static final List<String> OPENS = List.of(
                    "java.lang",
                    "java.lang.invoke",
                    "java.lang.reflect",
                    "java.io",
                    "java.net",
                    "java.nio",
                    "java.util",
                    "java.util.concurrent",
                    "java.util.concurrent.atomic",
                    "sun.nio.ch",
                    "sun.nio.cs",
                    "sun.security.action",
                    "sun.util.calendar")
            .stream()
            .map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED")
            .toList();

    private final Path home;
    private final Path logs;
    private final String masterUrl;
    private final List<Process> daemons = new ArrayList<>();

    private StandaloneCluster(Path home, Path logs, String masterUrl) {
        this.home = home;
        this.logs = logs;
        this.masterUrl = masterUrl;
    }

    /**
     * Lays out {@code SPARK_HOME} under {@code dir} from {@code distribution} (Maven's list of Spark's jars in
     * classpath.txt, and Spark's own copies of shared libraries in jars/) and starts a Master and a Worker with
     * {@code cores} cores and {@code memory} for executors.
     */
    static StandaloneCluster start(Path distribution, Path dir, int cores, String memory) throws Exception {
        Path home = dir.resolve("spark-home");
        Path jars = Files.createDirectories(home.resolve("jars"));
        Files.writeString(home.resolve("RELEASE"), "Spark 3.5 laid out by the densenet4j test\n");
        String classpath = Files.readString(distribution.resolve("classpath.txt"), StandardCharsets.UTF_8)
                .trim();
        List<Path> entries = new ArrayList<>();
        for (String entry : classpath.split(java.io.File.pathSeparator)) {
            entries.add(Path.of(entry));
        }
        try (var own = Files.list(distribution.resolve("jars"))) {
            own.forEach(entries::add);
        }
        for (Path jar : entries) {
            Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar.toAbsolutePath());
        }
        Path logs = Files.createDirectories(dir.resolve("logs"));
        int port = freePort();
        StandaloneCluster cluster = new StandaloneCluster(home, logs, "spark://127.0.0.1:" + port);
        try {
            cluster.daemon(
                    "master",
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    Integer.toString(port),
                    "--webui-port",
                    Integer.toString(freePort()));
            cluster.awaitLog("master", "I have been elected leader", Duration.ofSeconds(60));
            cluster.daemon(
                    "worker",
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--webui-port",
                    Integer.toString(freePort()),
                    "--cores",
                    Integer.toString(cores),
                    "--memory",
                    memory,
                    "--work-dir",
                    Files.createDirectories(dir.resolve("work")).toString(),
                    cluster.masterUrl);
            cluster.awaitLog("worker", "Successfully registered with master", Duration.ofSeconds(60));
            return cluster;
        } catch (Exception | AssertionError e) {
            cluster.close();
            throw e;
        }
    }

    String masterUrl() {
        return masterUrl;
    }

    /**
     * Runs {@code spark-submit ARGS} as Spark's script does (a JVM on SPARK_HOME/jars running SparkSubmit) with the
     * test's environment, and returns its exit code; its output goes to logs/NAME.log.
     */
    Submission submit(String name, List<String> args, Duration timeout) throws Exception {
        List<String> command = java("1g");
        command.add("org.apache.spark.deploy.SparkSubmit");
        command.addAll(args);
        Path log = logs.resolve(name + ".log");
        Path out = logs.resolve(name + ".out");
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectError(log.toFile()).redirectOutput(out.toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("spark-submit " + name + " did not finish in " + timeout + ":\n" + tail(log));
        }
        return new Submission(p.exitValue(), out, log);
    }

    /**
     * What a submission did.
     *
     * @param out its standard output (the job's own lines)
     * @param log its standard error (Spark's log)
     */
    record Submission(int exitCode, Path out, Path log) {
        String output() throws IOException {
            return Files.readString(out, StandardCharsets.UTF_8);
        }
    }

    /** The last lines of a log, for failure messages. */
    static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    /** The Worker's directory for this application's or driver's files (its executors' and drivers' logs). */
    Path workDir() {
        return home.getParent().resolve("work");
    }

    private List<String> java(String heap) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.addAll(OPENS);
        command.add("-cp");
        command.add(home.resolve("jars") + "/*");
        return command;
    }

    private void daemon(String name, String mainClass, String... args) throws IOException {
        List<String> command = java("512m");
        command.add(mainClass);
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.13"); // Spark's scripts set it (load-spark-env.sh); the Worker needs it
        env.remove(ExecutorEnvironment.ONEDNN_ISA); // executors must get it from the driver
        daemons.add(pb.start());
    }

    private void awaitLog(String name, String line, Duration timeout) throws Exception {
        Path log = logs.resolve(name + ".log");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)
                    && Files.readString(log, StandardCharsets.UTF_8).contains(line)) {
                return;
            }
            if (!daemons.get(daemons.size() - 1).isAlive()) {
                break;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the " + name + " did not log '" + line + "':\n" + tail(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = daemons.size() - 1; i >= 0; i--) {
            Process p = daemons.get(i);
            p.descendants().forEach(ProcessHandle::destroy); // the Worker's executors and drivers
            p.destroy();
            if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
            }
        }
    }
}
