package org.densenet4j.cli;

/** Human-readable figures: 2.83 G MACs, 12.5 MiB. */
final class Units {

    private Units() {}

    static String giga(long count) {
        return count >= 100_000_000 ? String.format("%.2f G", count / 1e9) : String.format("%.1f M", count / 1e6);
    }

    static String bytes(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format("%.2f GiB", bytes / (double) (1L << 30));
        }
        return bytes >= 1L << 20
                ? String.format("%.1f MiB", bytes / (double) (1L << 20))
                : String.format("%.1f KiB", bytes / 1024.0);
    }
}
