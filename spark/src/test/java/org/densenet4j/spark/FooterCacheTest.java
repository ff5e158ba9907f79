package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The footers a JVM holds: each file's read once while it stays as it was, read again once it changes, within a
 * fixed number of entries and bytes, once for tasks asking at the same time, and never held when the read or the
 * caller's schema check fails or the file's modification time is unknown.
 */
class FooterCacheTest {

    /** The check a reader of images makes: a table of image paths passes it. */
    private static final Consumer<MessageType> IMAGES = schema -> ParquetImageTable.checkImageColumns("table", schema);

    /** The check a trainer makes: a table of image paths without labels fails it. */
    private static final Consumer<MessageType> LABELLED =
            schema -> ParquetImageTable.checkTrainingSchema("table", schema);

    private final Configuration hadoop = new Configuration();

    @TempDir
    Path tmp;

    @Test
    void aFileIsReadOnceWhileItStaysAsItWasAndAgainOnceItChanges() throws Exception {
        Path file = table("t.parquet", 3);
        FooterCache cache = new FooterCache(4, FooterCache.MAX_BYTES, ParquetImageTable::readFooter);
        ParquetMetadata first = cache.footer(status(file), hadoop, IMAGES);
        for (int i = 0; i < 5; i++) {
            assertSame(first, cache.footer(status(file), hadoop, IMAGES));
        }
        assertEquals(1, cache.reads());

        Files.delete(file);
        table("t.parquet", 5); // another length
        assertEquals(
                5, rows(cache.footer(status(file), hadoop, IMAGES)), "the rewritten file's footer, not the held one");
        assertEquals(2, cache.reads());

        // The same bytes with another modification time: read again, as a file rewritten to the same length would be.
        Files.setLastModifiedTime(
                file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 10_000));
        cache.footer(status(file), hadoop, IMAGES);
        assertEquals(3, cache.reads());
        cache.footer(status(file), hadoop, IMAGES);
        assertEquals(3, cache.reads());

        // A reader that finds a planned row group gone (a file rewritten with its length and time kept) forgets it.
        cache.forget(status(file));
        cache.footer(status(file), hadoop, IMAGES);
        assertEquals(4, cache.reads());
    }

    @Test
    void theLeastRecentlyUsedFootersGoFirstWithinTheEntryAndByteBounds() throws Exception {
        Path a = table("a.parquet", 3);
        Path b = table("b.parquet", 3);
        Path c = table("c.parquet", 3);
        long bytes = ParquetImageTable.readFooter(status(a), hadoop).bytes();
        assertEquals(bytes, ParquetImageTable.readFooter(status(c), hadoop).bytes(), "the same rows: one size");

        FooterCache twoEntries = new FooterCache(2, FooterCache.MAX_BYTES, ParquetImageTable::readFooter);
        for (Path p : List.of(a, b, a, c)) { // b is the least recently used when c comes
            twoEntries.footer(status(p), hadoop, IMAGES);
        }
        assertEquals(3, twoEntries.reads());
        assertArrayEquals(new long[] {2, 2 * bytes}, twoEntries.held());
        twoEntries.footer(status(a), hadoop, IMAGES);
        assertEquals(3, twoEntries.reads(), "a stayed");
        twoEntries.footer(status(b), hadoop, IMAGES);
        assertEquals(4, twoEntries.reads(), "b went");

        FooterCache twoFooters = new FooterCache(100, 2 * bytes + bytes / 2, ParquetImageTable::readFooter);
        for (Path p : List.of(a, b, c, c, b)) {
            twoFooters.footer(status(p), hadoop, IMAGES);
        }
        assertEquals(3, twoFooters.reads());
        assertArrayEquals(new long[] {2, 2 * bytes}, twoFooters.held());

        FooterCache tooSmall = new FooterCache(100, bytes - 1, ParquetImageTable::readFooter);
        tooSmall.footer(status(a), hadoop, IMAGES);
        tooSmall.footer(status(a), hadoop, IMAGES);
        assertEquals(2, tooSmall.reads(), "a footer over the whole budget is read every time");
        assertArrayEquals(new long[] {0, 0}, tooSmall.held());
    }

    @Test
    void tasksAskingAtOnceWaitForOneRead() throws Exception {
        Path file = table("t.parquet", 3);
        FooterCache cache = new FooterCache(4, FooterCache.MAX_BYTES, (status, conf) -> {
            pause(); // long enough for the others to ask meanwhile
            return ParquetImageTable.readFooter(status, conf);
        });
        List<ParquetMetadata> footers = askAtOnce(cache, file, 8);
        assertEquals(1, cache.reads());
        for (ParquetMetadata f : footers) {
            assertSame(footers.get(0), f);
        }
    }

    @Test
    void aFailedReadIsNotHeldAndTasksWaitingOnItReadForThemselves() throws Exception {
        Path file = table("t.parquet", 3);
        AtomicInteger calls = new AtomicInteger();
        FooterCache cache = new FooterCache(4, FooterCache.MAX_BYTES, (status, conf) -> {
            if (calls.incrementAndGet() == 1) {
                pause();
                throw new java.io.InterruptedIOException("the first task was killed while reading");
            }
            return ParquetImageTable.readFooter(status, conf);
        });
        List<Object> answers = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<ParquetMetadata>> asked = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                asked.add(pool.submit(() -> {
                    start.await();
                    return cache.footer(status(file), hadoop, IMAGES);
                }));
            }
            start.countDown();
            for (Future<ParquetMetadata> f : asked) {
                try {
                    answers.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    answers.add(e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, answers.stream().filter(a -> a instanceof IOException).count(), answers.toString());
        assertEquals(
                3, answers.stream().filter(a -> a instanceof ParquetMetadata).count(), answers.toString());
        assertEquals(2, cache.reads(), "the failed read and one more; the rest wait for it");
    }

    @Test
    void aFileThatFailsItsChecksIsRefusedEveryTimeAndNeverHeld() throws Exception {
        Path notParquet = tmp.resolve("x.parquet");
        Files.write(notParquet, new byte[100]);
        Path liar = tmp.resolve("liar.parquet");
        byte[] bytes = new byte[100];
        System.arraycopy(HostileTables.lengthPrefix(Integer.MAX_VALUE), 0, bytes, 92, 4);
        System.arraycopy("PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, bytes, 96, 4);
        Files.write(liar, bytes);
        FooterCache cache = new FooterCache(4, FooterCache.MAX_BYTES, ParquetImageTable::readFooter);
        for (int i = 0; i < 2; i++) {
            IOException e = assertThrows(IOException.class, () -> cache.footer(status(notParquet), hadoop, IMAGES));
            assertTrue(e.getMessage().endsWith("x.parquet: not a Parquet file (no PAR1 at its end)"), e.getMessage());
            e = assertThrows(IOException.class, () -> cache.footer(status(liar), hadoop, IMAGES));
            assertTrue(e.getMessage().contains("its footer claims 2147483647 bytes"), e.getMessage());
        }
        assertEquals(4, cache.reads());
        assertArrayEquals(new long[] {0, 0}, cache.held());
    }

    @Test
    void aHeldFooterIsStillCheckedForTheColumnsEachReaderNeeds() throws Exception {
        Path labels = tmp.resolve("labels.parquet");
        HostileTables.write(
                labels,
                MessageTypeParser.parseMessageType("message t { optional binary label (STRING); }"),
                HostileTables.Layout.of(CompressionCodecName.ZSTD),
                List.of(new Object[] {"a"}, new Object[] {"b"}));
        ParquetImageTable.Slice slice =
                new ParquetImageTable.Slice(status(labels).getPath().toString(), 0, 0, 2);
        long before = FooterCache.SHARED.reads();
        for (int i = 0; i < 2; i++) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> ParquetSliceReader.reader(slice, hadoop, 1 << 20, 1 << 20));
            assertTrue(e.getMessage().contains("needs a 'path' column (string) or a 'content' column"), e.getMessage());
        }
        assertEquals(2, FooterCache.SHARED.reads() - before, "a footer that failed its reader's check is not held");

        FooterCache cache = new FooterCache(4, FooterCache.MAX_BYTES, ParquetImageTable::readFooter);
        for (int i = 0; i < 2; i++) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> cache.footer(status(labels), hadoop, IMAGES));
            assertTrue(e.getMessage().startsWith("table: the Parquet input needs a 'path' column"), e.getMessage());
            assertArrayEquals(new long[] {0, 0}, cache.held());
        }
        assertEquals(2, cache.reads());
    }

    @Test
    void aHeldFooterThatFailsALaterReadersCheckIsDropped() throws Exception {
        Path images = table("images.parquet", 3);
        FooterCache cache = new FooterCache(4, FooterCache.MAX_BYTES, ParquetImageTable::readFooter);
        cache.footer(status(images), hadoop, IMAGES);
        assertEquals(1, cache.held()[0]);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> cache.footer(status(images), hadoop, LABELLED));
        assertTrue(e.getMessage().startsWith("table: a table to train on needs a 'label' column"), e.getMessage());
        assertArrayEquals(new long[] {0, 0}, cache.held());
        cache.footer(status(images), hadoop, IMAGES);
        assertEquals(2, cache.reads(), "read again once dropped");
    }

    @Test
    void aFooterListingTooManyColumnChunksIsRefusedNamingTheFileAndWeighsItsChunks() throws Exception {
        assertEquals(1 << 20, ParquetImageTable.MAX_COLUMN_CHUNKS);
        Path file = table("t.parquet", 3); // one row group of two columns
        IOException e = assertThrows(IOException.class, () -> ParquetImageTable.readFooter(status(file), hadoop, 1));
        assertEquals(
                status(file).getPath() + ": its footer lists 2 column chunks (1 row groups), more than the 1 a table "
                        + "file may have",
                e.getMessage());
        FooterCache cache = new FooterCache(
                4, FooterCache.MAX_BYTES, (status, conf) -> ParquetImageTable.readFooter(status, conf, 1));
        assertThrows(IOException.class, () -> cache.footer(status(file), hadoop, IMAGES));
        assertArrayEquals(new long[] {0, 0}, cache.held());

        byte[] bytes = Files.readAllBytes(file);
        long stored = java.nio.ByteBuffer.wrap(bytes, bytes.length - 8, 4)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getInt();
        assertEquals(
                stored + 2 * ParquetImageTable.COLUMN_CHUNK_BYTES,
                ParquetImageTable.readFooter(status(file), hadoop, 2).bytes(),
                "its stored bytes and each column chunk's parsed size");
    }

    @Test
    void aFileWithoutAModificationTimeIsReadEveryTime() throws Exception {
        Path file = table("t.parquet", 3);
        FileStatus real = status(file);
        FileStatus unknown = new FileStatus(real.getLen(), false, 1, real.getBlockSize(), 0, real.getPath());
        FooterCache cache = new FooterCache(4, FooterCache.MAX_BYTES, ParquetImageTable::readFooter);
        for (int i = 0; i < 3; i++) {
            assertEquals(3, rows(cache.footer(unknown, hadoop, IMAGES)));
        }
        assertEquals(3, cache.reads(), "a file rewritten with the same length could not be told from the one held");
        assertArrayEquals(new long[] {0, 0}, cache.held());
        assertThrows(IllegalArgumentException.class, () -> cache.footer(unknown, hadoop, LABELLED));
    }

    /** A table of {@code rows} image paths. */
    private Path table(String name, int rows) throws IOException {
        Path file = tmp.resolve(name);
        List<Object[]> values = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            values.add(new Object[] {"/images/" + i + ".png", null});
        }
        HostileTables.write(file, HostileTables.IMAGES, HostileTables.Layout.of(CompressionCodecName.ZSTD), values);
        return file;
    }

    private FileStatus status(Path file) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(file.toUri());
        return p.getFileSystem(hadoop).getFileStatus(p);
    }

    private static void pause() throws java.io.InterruptedIOException {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            throw new java.io.InterruptedIOException();
        }
    }

    private static long rows(ParquetMetadata footer) {
        return footer.getBlocks().stream().mapToLong(b -> b.getRowCount()).sum();
    }

    private List<ParquetMetadata> askAtOnce(FooterCache cache, Path file, int tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<ParquetMetadata>> asked = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                asked.add(pool.submit(() -> {
                    start.await();
                    return cache.footer(status(file), hadoop, IMAGES);
                }));
            }
            start.countDown();
            List<ParquetMetadata> out = new ArrayList<>();
            for (Future<ParquetMetadata> f : asked) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
