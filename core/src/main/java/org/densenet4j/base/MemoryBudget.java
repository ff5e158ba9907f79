package org.densenet4j.base;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What this machine can still give us, checked before a large allocation instead of suffered after it: libtorch
 * allocates outside the Java heap, so {@code -Xmx} does not bound it and the kernel kills the whole process
 * instead of throwing.
 */
public final class MemoryBudget {

    /** The part of the available memory a single allocation plan may take; the rest is the JVM's and the OS's. */
    static final double SHARE = 0.9;

    private MemoryBudget() {}

    /**
     * Memory the kernel can give without swapping: {@code MemAvailable} from /proc/meminfo, bounded by the
     * cgroup's {@code memory.max} when one is set; the JVM's view of free memory elsewhere.
     */
    public static long availableBytes() {
        long available = meminfo("MemAvailable:");
        if (available <= 0) {
            available = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getFreeMemorySize();
        }
        long cgroupMax = cgroupValue(Path.of("/sys/fs/cgroup/memory.max"));
        long cgroupUsed = cgroupValue(Path.of("/sys/fs/cgroup/memory.current"));
        if (cgroupMax > 0 && cgroupUsed >= 0) {
            available = Math.min(available, Math.max(0, cgroupMax - cgroupUsed));
        }
        return available;
    }

    /**
     * Refuses a plan that needs more than this machine has.
     *
     * @param bytes the estimate
     * @param what what needs it, e.g. "predict with densenet121 at 224x224, batch 512"
     * @param suggestion how to need less, e.g. "use a smaller batch"
     * @throws InsufficientMemoryException naming the estimate, what is available, and the suggestion
     */
    public static void require(double bytes, String what, String suggestion) throws InsufficientMemoryException {
        long available = availableBytes();
        if (bytes > SHARE * available) {
            throw new InsufficientMemoryException(String.format(
                    Locale.ROOT,
                    "%s needs about %s of memory, but this machine has %s available: %s",
                    what,
                    format(bytes),
                    format(available),
                    suggestion));
        }
    }

    /** Bytes as people read them: 1.5 GB, 730 MB. */
    public static String format(double bytes) {
        if (bytes >= 1e12) {
            return String.format(Locale.ROOT, "%.3g TB", bytes / 1e12);
        }
        if (bytes >= 1e9) {
            return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
        }
        return String.format(Locale.ROOT, "%.0f MB", Math.ceil(bytes / 1e6));
    }

    private static long meminfo(String key) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
            for (String line : lines) {
                if (line.startsWith(key)) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the caller falls back to the JVM's view
        }
        return -1;
    }

    private static long cgroupValue(Path file) {
        try {
            String v = Files.readString(file).trim();
            return "max".equals(v) ? -1 : Long.parseLong(v);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
