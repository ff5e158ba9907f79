package org.densenet4j.spark;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.schema.MessageType;

/**
 * The Parquet footers this JVM has read, so that an executor reads a table file's footer once, not every time a task
 * opens one of its row groups (spark-train's every step opens many). A footer is served only for the file it was read
 * from: it is keyed by the file's path, length and modification time, so a file rewritten since is read again; a file
 * whose modification time is unknown (reported as 0) is read every time. A file rewritten at the same length with its
 * modification time kept (cp -p, rsync -a) is not noticed: the footer held is served until it is evicted.
 *
 * <p>Only footers that passed {@link ParquetImageTable#readFooter}'s checks and the schema check of the caller that
 * read them are held; a failed read or check is not remembered (the next caller reads again). Callers check the schema
 * they need on every use (a footer held for one reader may be asked for by another that needs more columns); one that
 * fails it is dropped.
 *
 * <p>Bounded, least recently used first out: at most {@link #MAX_ENTRIES} footers and {@link #MAX_BYTES} of their
 * weight ({@link ParquetImageTable.Footer#bytes}: their stored size and an estimate of each column chunk's parsed
 * size); a footer weighing more than the whole budget is read every time, as without the cache. Thread-safe: an
 * executor runs tasks at once, and a task asking for a footer another is reading waits for it rather than reading it
 * too.
 */
final class FooterCache {

    /** The most footers held: a table of a thousand files, each read once per executor. */
    static final int MAX_ENTRIES = 1024;

    /** The most footer bytes held, weighed as {@link ParquetImageTable.Footer#bytes}: real footers are kilobytes. */
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
     * The footer of {@code file} as it is now (by its length and modification time), read unless held, once its schema
     * has passed {@code schemaCheck}.
     *
     * @param schemaCheck the caller's check of the file's schema, run on every use: it throws (naming the file) when
     *     the schema is not what the caller reads, and a footer that fails it is not held
     * @throws IOException as {@link ParquetImageTable#readFooter}, naming the file
     */
    ParquetMetadata footer(FileStatus file, Configuration hadoop, Consumer<MessageType> schemaCheck)
            throws IOException {
        if (file.getModificationTime() == 0) {
            // Unknown: the key could not tell a rewritten file from the one read.
            reads.incrementAndGet();
            ParquetMetadata footer = reader.read(file, hadoop).metadata();
            schemaCheck.accept(footer.getFileMetaData().getSchema());
            return footer;
        }
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
                return read(key, slot, file, hadoop, schemaCheck);
            }
            ParquetMetadata footer;
            try {
                footer = slot.footer.get().metadata();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(file.getPath() + ": interrupted waiting for its footer");
            } catch (ExecutionException e) {
                // Its reader failed (perhaps only its task was killed) and dropped the slot: this caller reads it,
                // so that a file's problem reaches each caller as it would have without the cache.
                continue;
            }
            check(key, slot, footer, schemaCheck);
            return footer;
        }
    }

    private ParquetMetadata read(
            Key key, Slot slot, FileStatus file, Configuration hadoop, Consumer<MessageType> schemaCheck)
            throws IOException {
        ParquetImageTable.Footer footer;
        try {
            reads.incrementAndGet();
            footer = reader.read(file, hadoop);
        } catch (Throwable e) { // every failure: callers waiting on the slot must not wait for ever
            drop(key, slot);
            slot.footer.completeExceptionally(e);
            throw e;
        }
        try {
            schemaCheck.accept(footer.metadata().getFileMetaData().getSchema());
        } catch (Throwable e) {
            drop(key, slot);
            slot.footer.complete(footer); // those waiting check it for themselves: they may need fewer columns
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

    /** Runs a caller's schema check on a footer served from {@code slot}, dropping the slot if it fails. */
    private void check(Key key, Slot slot, ParquetMetadata footer, Consumer<MessageType> schemaCheck) {
        try {
            schemaCheck.accept(footer.getFileMetaData().getSchema());
        } catch (RuntimeException e) {
            drop(key, slot);
            throw e;
        }
    }

    /**
     * Stops holding {@code file}'s footer: a reader found that it no longer describes the file (a row group the job
     * planned is gone), so the next read must look at the file again.
     */
    synchronized void forget(FileStatus file) {
        Key key = new Key(file.getPath().toString(), file.getLen(), file.getModificationTime());
        Slot slot = slots.get(key);
        if (slot != null) {
            drop(key, slot);
        }
    }

    /** Stops holding {@code slot}, unless it has been replaced or evicted already. */
    private synchronized void drop(Key key, Slot slot) {
        if (slots.get(key) == slot) {
            slots.remove(key);
            if (slot.bytes >= 0) {
                bytes -= slot.bytes;
            }
        }
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
