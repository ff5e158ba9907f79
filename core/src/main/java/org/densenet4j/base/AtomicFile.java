package org.densenet4j.base;

import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes files so that they appear whole or not at all: the content goes to a temporary file in the same folder,
 * is forced to disk, and is renamed over the target. A crash at any moment leaves the old file (or none), never half
 * of a new one.
 *
 * <p>Temporary files are named {@code .NAME.densenet4j-PID-RANDOM.tmp}, beside the target. A failed write removes
 * its own; SIGTERM and Ctrl-C remove those of the writes in flight (a shutdown hook, which first lets work registered
 * with {@link #letWritesFinish} reach its safe point); and the first write into a
 * folder removes those that a killed process (kill -9, a power cut) left there, recognised by the dead process's
 * id. The folder must exist: a write never creates folders, so that a mistyped path is an error, not a new tree.
 * Errors name the file ("cannot write FILE: No space left on device").
 */
public final class AtomicFile {

    /** Produces the content. It may close the stream it is given; the file is finished afterwards. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** One of several files written together by {@link #writeTogether}. */
    public record Part(Path file, Content content) {}

    private static final String MARK = ".densenet4j-";

    /** A temporary file of this class: the target's name (perhaps cut), the writer's process id, a random tag. */
    private static final Pattern TEMPORARY = Pattern.compile("\\..+\\.densenet4j-([0-9]{1,19})-[0-9a-z]+\\.tmp");

    /** What {@link Files#createTempFile} made of a target's name in earlier versions: the name, digits, ".tmp". */
    private static final Pattern EARLIER_TEMPORARY = Pattern.compile(".+[0-9]{6,}\\.tmp");

    /** File systems' usual bound on one name, in bytes. */
    private static final int MAX_NAME_BYTES = 255;

    /** Room for the mark, the process id, the random tag and ".tmp" in a temporary file's name. */
    private static final int TEMPORARY_OVERHEAD_BYTES = 1 + MARK.length() + 19 + 1 + 13 + 4;

    private static final long PID = ProcessHandle.current().pid();

    /** Temporary files of the writes in flight; guarded by itself, as is {@link #stopping}. */
    private static final Set<Path> IN_FLIGHT = new HashSet<>();

    private static boolean stopping;

    /** Work that finishes its writes before shutdown goes on (see letWritesFinish); guarded by itself. */
    private static final Map<CountDownLatch, Long> FINISHING = new HashMap<>();

    /** Folders swept of killed processes' leftovers by this process; guarded by itself. */
    private static final Set<Path> SWEPT = new HashSet<>();

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(AtomicFile::removeInFlight, "densenet4j-temporary-files"));
        } catch (IllegalStateException e) {
            // Loaded while the JVM shuts down: nothing will be written any more (see temporaryFor).
            stopping = true;
        }
    }

    private AtomicFile() {}

    /**
     * Registers work that, on SIGTERM or Ctrl-C, stops at a safe point of its own and then counts {@code done}
     * down (the CLI's interruption handling): the shutdown hook lets its writes finish, waiting for {@code done} up
     * to {@code maxSeconds}, before it removes the temporary files still in flight. Without it, writes in flight at
     * shutdown are abandoned at once.
     */
    public static void letWritesFinish(CountDownLatch done, long maxSeconds) {
        synchronized (FINISHING) {
            FINISHING.put(done, maxSeconds);
        }
    }

    /** Withdraws a {@link #letWritesFinish} registration once its work is over. */
    public static void workFinished(CountDownLatch done) {
        synchronized (FINISHING) {
            FINISHING.remove(done);
        }
    }

    /** Writes {@code file} atomically with what {@code content} produces. */
    public static void write(Path file, Content content) throws IOException {
        writeTogether(List.of(new Part(file, content)));
    }

    /**
     * Writes several files that belong together (a table and its index) so that they appear together or not at
     * all: each is written to its temporary file and forced to disk first, then they are renamed in the order
     * given. Put the file that readers look for last: a process killed between the renames (microseconds) leaves
     * the earlier ones only. If a rename fails, the files already renamed are removed, and so are the earlier
     * versions of the rest, so that no mix of new and old files remains.
     */
    public static void writeTogether(List<Part> parts) throws IOException {
        List<Path> temporaries = new ArrayList<>();
        try {
            for (Part part : parts) {
                Path file = part.file().toAbsolutePath();
                Path dir = file.getParent();
                if (!Files.isDirectory(dir)) {
                    throw new NoSuchFileException(
                            part.file().toString(), null, "cannot write it: the folder " + dir + " does not exist");
                }
                removeKilledWritersLeftovers(dir);
                Path tmp = temporaryFor(file);
                temporaries.add(tmp);
                try {
                    fill(tmp, part.content());
                } catch (IOException e) {
                    throw failure(part.file(), e);
                }
            }
            for (int i = 0; i < parts.size(); i++) {
                Path file = parts.get(i).file();
                try {
                    Files.move(
                            temporaries.get(i),
                            file,
                            StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    IOException failed = failure(file, e);
                    if (i > 0) {
                        removeAll(parts, failed);
                    }
                    throw failed;
                }
            }
        } finally {
            for (Path tmp : temporaries) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // Removed by the next write into the folder; the write's own outcome matters more.
                }
            }
            synchronized (IN_FLIGHT) {
                temporaries.forEach(IN_FLIGHT::remove);
            }
        }
    }

    /** Removes every part's file (never a folder) after a failed rename; problems are added to {@code failed}. */
    private static void removeAll(List<Part> parts, IOException failed) {
        for (Part p : parts) {
            try {
                if (!Files.isDirectory(p.file(), LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(p.file());
                }
            } catch (IOException e) {
                failed.addSuppressed(e);
            }
        }
    }

    /**
     * Removes the temporary files that writes into {@code dir} left when their process was killed mid-write: this
     * class's (whose process has ended) and those of earlier versions, named by {@link Files#createTempFile} (a
     * finished write never leaves one). Meant for folders densenet4j owns, such as a training run's. Returns how
     * many were removed.
     */
    public static int removeLeftovers(Path dir) throws IOException {
        return removeLeftovers(dir, true);
    }

    private static void removeKilledWritersLeftovers(Path dir) throws IOException {
        synchronized (SWEPT) {
            if (SWEPT.add(dir)) {
                removeLeftovers(dir, false);
            }
        }
    }

    private static int removeLeftovers(Path dir, boolean earlierVersions) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int removed = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                Matcher ours = TEMPORARY.matcher(name);
                boolean leftover = ours.matches()
                        ? !isAlive(ours.group(1))
                        : earlierVersions && EARLIER_TEMPORARY.matcher(name).matches();
                if (leftover && Files.isRegularFile(f) && Files.deleteIfExists(f)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    private static boolean isAlive(String pid) {
        try {
            long id = Long.parseLong(pid);
            return id == PID || ProcessHandle.of(id).isPresent();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Creates and registers an empty temporary file beside {@code file}; refused once the JVM is stopping. */
    private static Path temporaryFor(Path file) throws IOException {
        String name = FileNames.prefix(file.getFileName().toString(), MAX_NAME_BYTES - TEMPORARY_OVERHEAD_BYTES);
        while (true) {
            String tag = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
            Path tmp = file.resolveSibling("." + name + MARK + PID + "-" + tag + ".tmp");
            synchronized (IN_FLIGHT) {
                if (stopping) {
                    throw new IOException(file + " not written: the process is stopping");
                }
                try {
                    Files.createFile(tmp);
                } catch (FileAlreadyExistsException e) {
                    continue; // another tag
                } catch (IOException e) {
                    throw failure(file, e);
                }
                IN_FLIGHT.add(tmp);
                return tmp;
            }
        }
    }

    private static void fill(Path tmp, Content content) throws IOException {
        try (FileOutputStream out = new FileOutputStream(tmp.toFile())) {
            content.writeTo(new FilterOutputStream(out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush(); // the file is synced and closed below, once the content is complete
                }
            });
            out.flush();
            out.getFD().sync();
        }
    }

    /**
     * The shutdown hook: waits for the work that finishes its writes, then removes the temporary files of the writes
     * still in flight and lets no new one start.
     */
    private static void removeInFlight() {
        Map<CountDownLatch, Long> finishing;
        synchronized (FINISHING) {
            finishing = new HashMap<>(FINISHING);
        }
        for (Map.Entry<CountDownLatch, Long> work : finishing.entrySet()) {
            try {
                work.getKey().await(work.getValue(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        synchronized (IN_FLIGHT) {
            stopping = true;
            for (Path tmp : IN_FLIGHT) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // Removed by the next write into the folder, as a killed process's would be.
                }
            }
            IN_FLIGHT.clear();
        }
    }

    /** {@code e} as one line that names the file being written. */
    private static IOException failure(Path file, IOException e) {
        boolean isStopping;
        synchronized (IN_FLIGHT) {
            isStopping = stopping;
        }
        if (isStopping) {
            return new IOException(file + " not written: the process is stopping", e);
        }
        String reason;
        if (e instanceof AccessDeniedException) {
            reason = "permission denied";
        } else if (e instanceof NoSuchFileException) {
            reason = "a folder on the way does not exist";
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            reason = f.getReason();
        } else {
            reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        }
        return new IOException("cannot write " + file + ": " + reason, e);
    }
}
