package org.densenet4j.pretrained;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.densenet4j.data.Downloader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fetching as torch.hub does, against a local server: caches, verification, failures, concurrency. */
class PretrainedWeightsTest {

    @TempDir
    Path tmp;

    private byte[] published;
    private String name;
    private WeightsServer server;
    private PretrainedWeights weights;
    private PretrainedEntry entry;

    @BeforeEach
    void serve() throws IOException {
        published = new byte[300_000];
        new Random(3).nextBytes(published);
        String digest = sha256(published);
        name = "densenet121-" + digest.substring(0, 8) + ".pth";
        server = new WeightsServer(name, published);
        weights = weights(server.url(name).toString(), digest.substring(0, 8));
        entry = weights.registry().find("densenet121", "test");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private PretrainedWeights weights(String url, String sha256) throws IOException {
        Path registry = tmp.resolve("registry.json");
        Files.writeString(
                registry,
                "{\"weights\": [{\"model\": \"densenet121\", \"name\": \"test\", \"url\": \"" + url
                        + "\", \"sha256\": \"" + sha256
                        + "\", \"layout\": \"torchvision\", \"classes\": \"imagenet-1k\"}]}");
        return new PretrainedWeights(
                PretrainedRegistry.builtIn().withFile(registry, "test registry"),
                tmp.resolve("torch/hub/checkpoints"),
                tmp.resolve("cache"),
                new Downloader(Duration.ofSeconds(5), Duration.ofSeconds(2)));
    }

    @Test
    void downloadsVerifiesAndThenUsesTheCacheWithoutARequest() throws IOException {
        Path file = weights.fetch(entry, Downloader.Progress.NONE);
        assertEquals(tmp.resolve("cache").resolve(name).toAbsolutePath().normalize(), file);
        assertArrayEquals(published, Files.readAllBytes(file));
        assertEquals(1, server.requests());
        assertEquals(file, weights.fetch(entry, Downloader.Progress.NONE));
        assertEquals(1, server.requests(), "a cache hit makes no request");
        assertEquals(List.of(name), cacheFiles(), "no temporary file left");
    }

    @Test
    void partialDownloadsOfAKilledFetchAreRemovedAndOthersKept() throws IOException {
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Path abandoned = Files.write(cache.resolve("." + name + ".4711.part"), new byte[] {1, 2});
        Path otherEntry = Files.write(cache.resolve("." + name + ".x.4711.part"), new byte[] {1});
        Path usersFile = Files.write(cache.resolve(name + ".part"), new byte[] {1});
        weights.fetch(entry, Downloader.Progress.NONE);
        assertFalse(Files.exists(abandoned), "a killed fetch's partial download is removed");
        assertTrue(Files.exists(otherEntry), "another file's partial download is not this fetch's");
        assertTrue(Files.exists(usersFile));
    }

    @Test
    void reportsProgressUpToTheWholeFile() throws IOException {
        long[] last = new long[2];
        weights.fetch(entry, (bytes, total) -> {
            last[0] = bytes;
            last[1] = total;
        });
        assertArrayEquals(new long[] {published.length, published.length}, last);
    }

    @Test
    void usesPyTorchsCachedFileAsItIs() throws IOException {
        Path hub = Files.createDirectories(tmp.resolve("torch/hub/checkpoints")).resolve(name);
        Files.write(hub, published);
        assertEquals(hub, weights.fetch(entry, Downloader.Progress.NONE));
        assertEquals(0, server.requests());
        assertTrue(Files.notExists(tmp.resolve("cache").resolve(name)));
    }

    @Test
    void refusesAndDeletesACorruptDownload() throws IOException {
        byte[] corrupt = published.clone();
        corrupt[1000] ^= 1;
        server.serve(corrupt);
        IOException e = assertThrows(IOException.class, () -> weights.fetch(entry, Downloader.Progress.NONE));
        assertTrue(e.getMessage().contains("does not start with " + entry.sha256()), e.getMessage());
        assertTrue(e.getMessage().contains("deleted"), e.getMessage());
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void refusesATruncatedDownload() throws IOException {
        server.truncate();
        IOException e = assertThrows(IOException.class, () -> weights.fetch(entry, Downloader.Progress.NONE));
        assertTrue(e.getMessage().startsWith(server.url(name).toString()), e.getMessage());
        assertTrue(e.getMessage().contains("put " + name + " "), e.getMessage());
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void refusesAndDeletesATamperedCachedFile() throws IOException {
        Path file = weights.fetch(entry, Downloader.Progress.NONE);
        byte[] tampered = published.clone();
        tampered[0] ^= 1;
        Files.write(file, tampered);
        IOException e = assertThrows(IOException.class, () -> weights.fetch(entry, Downloader.Progress.NONE));
        assertTrue(e.getMessage().contains(file + " is not densenet121:test's published file"), e.getMessage());
        assertTrue(Files.notExists(file));
        assertEquals(1, server.requests(), "a tampered file is refused, not silently replaced");
    }

    @Test
    void refusesATamperedHubFileButLeavesIt() throws IOException {
        Path hub = Files.createDirectories(tmp.resolve("torch/hub/checkpoints")).resolve(name);
        Files.write(hub, new byte[] {1, 2, 3});
        IOException e = assertThrows(IOException.class, () -> weights.fetch(entry, Downloader.Progress.NONE));
        assertTrue(e.getMessage().contains("delete or replace it"), e.getMessage());
        assertTrue(Files.exists(hub));
        assertEquals(0, server.requests());
    }

    @Test
    void withoutAServerSaysWhereToPutTheFileByHand() throws IOException {
        server.close();
        IOException e = assertThrows(IOException.class, () -> weights.fetch(entry, Downloader.Progress.NONE));
        String m = e.getMessage();
        assertTrue(m.startsWith(entry.url() + ": cannot download: connection refused"), m);
        assertTrue(m.contains("put " + name + " (from " + entry.url() + ") in " + tmp.resolve("cache")), m);
        assertTrue(m.contains(tmp.resolve("torch/hub/checkpoints").toString()), m);
        assertEquals(-1, m.indexOf('\n'), "one line");
    }

    @Test
    void anHttpErrorNamesTheStatus() throws IOException {
        PretrainedWeights missing =
                weights(server.url("densenet121-00000000.pth").toString(), "00000000");
        PretrainedEntry other = missing.registry().find("densenet121:test");
        IOException e = assertThrows(IOException.class, () -> missing.fetch(other, Downloader.Progress.NONE));
        assertTrue(e.getMessage().contains(": HTTP 404; to install it by hand"), e.getMessage());
    }

    @Test
    void twoFetchesAtOnceEndWithOneGoodFileAndOneDownload() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Callable<Path> fetch = () -> weights.fetch(entry, Downloader.Progress.NONE);
            List<Future<Path>> results = new ArrayList<>(List.of(pool.submit(fetch), pool.submit(fetch)));
            for (Future<Path> r : results) {
                assertArrayEquals(published, Files.readAllBytes(r.get()));
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(1, server.requests());
        assertEquals(List.of(name), cacheFiles());
    }

    @Test
    void aPretrainedNameIsAWordTheRegistryHas() {
        assertTrue(weights.isName("imagenet"));
        assertTrue(weights.isName("test"));
        assertTrue(!weights.isName("./imagenet") && !weights.isName("imagenet.pth") && !weights.isName("other"));
    }

    /** The cache's files but the lock files. */
    private List<String> cacheFiles() throws IOException {
        try (Stream<Path> s = Files.list(tmp.resolve("cache"))) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.endsWith(".lock"))
                    .sorted()
                    .toList();
        }
    }

    private static String sha256(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(Downloader.digest("SHA-256").digest(bytes));
    }
}
