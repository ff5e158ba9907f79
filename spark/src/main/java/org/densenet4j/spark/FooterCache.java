package org.densenet4j.spark;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;

/**
 * The Parquet footers this JVM has read, so that an executor reads a table file's footer once, not every time a task
 * opens one of its row groups (spark-train's every step opens many). A footer is served only for the file it was read
 * from: it is keyed by the file's path, length and modification time, so a file rewritten since is read again. Only
 * footers that passed {@link ParquetImageTable#readFooter}'s checks are held; a failed read is not remembered (the
 * next caller reads again), and callers check the schema and the row group they read on every use, as before.
 *
 * <p>Bounded, least recently used first out: at most {@link #MAX_ENTRIES} footers and {@link #MAX_BYTES} of their
 * stored size (parsed, they take a few times that); a footer larger than the whole budget is read every time, as
 * without the cache. Thread-safe: an executor runs tasks at once, and a task asking for a footer another is reading
 * waits for it rather than reading it too.
 */
final class FooterCache {

    /** The most footers held: a table of a thousand files, each read once per executor. */
    static final int MAX_ENTRIES = 1024;

    /** The most footer bytes held, as stored in their files: real footers are kilobytes. */
    static final long MAX_BYTES = 8L << 20;

    /** This JVM's: shared by an executor's tasks and, in local mode, the driver. */
    static final FooterCache SHARED = new FooterCache(MAX_ENTRIES, MAX_BYTES, ParquetImageTable::readFooter);

    /** Reads and checks one file's footer. */
    interface Reader {
        ParquetImageTable.Footer read(FileStatus file, Configuration hadoop) throws IOException;
    }

    /** A file as it was when its footer was read. */
    private record Key(String path, long length, long modified) {}

    /** A footer read or being read; its bytes count towards the budget once it is held. */
    private static final class Slot {
        final CompletableFuture<ParquetImageTable.Footer> footer = new CompletableFuture<>();
        long bytes = -1;
    }

    private final int maxEntries;
    private final long maxBytes;
    private final Reader reader;
    /** In access order: the eldest is the least recently used. Guarded by this. */
    private final LinkedHashMap<Key, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);
    /** The bytes of the footers held. Guarded by this. */
    private long bytes;

    private final AtomicLong reads = new AtomicLong();

    FooterCache(int maxEntries, long maxBytes, Reader reader) {
        if (maxEntries < 1 || maxBytes < 0) {
            throw new IllegalArgumentException("a cache of " + maxEntries + " entries and " + maxBytes + " bytes");
        }
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        this.reader = reader;
    }

    /**
     * The footer of {@code file} as it is now (by its length and modification time), read unless held.
     *
     * @throws IOException as {@link ParquetImageTable#readFooter}, naming the file
     */
    ParquetMetadata footer(FileStatus file, Configuration hadoop) throws IOException {
        Key key = new Key(file.getPath().toString(), file.getLen(), file.getModificationTime());
        while (true) {
            Slot slot;
            boolean mine = false;
            synchronized (this) {
                slot = slots.get(key);
                if (slot == null) {
                    slot = new Slot();
                    slots.put(key, slot);
                    mine = true;
                    evict();
                }
            }
            if (mine) {
                return read(key, slot, file, hadoop);
            }
            try {
                return slot.footer.get().metadata();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(file.getPath() + ": interrupted waiting for its footer");
            } catch (ExecutionException e) {
                // Its reader failed (perhaps only its task was killed) and dropped the slot: this caller reads it,
                // so that a file's problem reaches each caller as it would have without the cache.
            }
        }
    }

    private ParquetMetadata read(Key key, Slot slot, FileStatus file, Configuration hadoop) throws IOException {
        ParquetImageTable.Footer footer;
        try {
            reads.incrementAndGet();
            footer = reader.read(file, hadoop);
        } catch (Throwable e) { // every failure: callers waiting on the slot must not wait for ever
            synchronized (this) {
                if (slots.get(key) == slot) {
                    slots.remove(key);
                }
            }
            slot.footer.completeExceptionally(e);
            throw e;
        }
        synchronized (this) {
            if (slots.get(key) == slot) {
                if (footer.bytes() > maxBytes) {
                    slots.remove(key);
                } else {
                    slot.bytes = footer.bytes();
                    bytes += slot.bytes;
                    evict();
                }
            }
        }
        slot.footer.complete(footer);
        return footer.metadata();
    }

    /** Drops the least recently used footers until the cache is within its bounds. */
    private void evict() {
        Iterator<Map.Entry<Key, Slot>> eldest = slots.entrySet().iterator();
        while ((slots.size() > maxEntries || bytes > maxBytes) && eldest.hasNext()) {
            Slot slot = eldest.next().getValue();
            eldest.remove();
            if (slot.bytes >= 0) {
                bytes -= slot.bytes;
            }
        }
    }

    /** Tests only: the footers this cache has read (or tried to), held or not. */
    long reads() {
        return reads.get();
    }

    /** Tests only: the footers held and their bytes. */
    synchronized long[] held() {
        return new long[] {slots.size(), bytes};
    }
}
