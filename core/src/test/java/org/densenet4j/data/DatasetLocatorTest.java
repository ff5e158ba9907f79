package org.densenet4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The search order and the verified downloader, against a loopback HTTP server serving fixture files. */
class DatasetLocatorTest {

    @TempDir
    Path tmp;

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private Path served;

    @BeforeEach
    void serve() throws IOException {
        served = tmp.resolve("served");
        DatasetFixtures.writeIdxSet(served, 20, 10);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            Path f = served.resolve(exchange.getRequestURI().getPath().substring(1));
            if (!Files.isRegularFile(f)) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                byte[] body = Files.readAllBytes(f);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private DatasetSource source(Path systemDir, boolean corruptChecksum) throws Exception {
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        List<String> md5s = new ArrayList<>();
        for (String f : List.of(
                "train-images-idx3-ubyte.gz",
                "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz")) {
            byte[] digest = MessageDigest.getInstance("MD5").digest(Files.readAllBytes(served.resolve(f)));
            md5s.add(HexFormat.of().formatHex(digest));
        }
        if (corruptChecksum) {
            md5s.set(2, "00000000000000000000000000000000");
        }
        return DatasetSource.idx(
                "fixture", base, md5s, DatasetCatalog.DIGITS, systemDir, "apt-get install the-fixture");
    }

    @Test
    void downloadsVerifiesAndThenReusesTheUserCopy() throws Exception {
        Path user = tmp.resolve("user");
        DatasetLocator locator = new DatasetLocator(List.of(source(null, false)), user, new Downloader(), true);
        DatasetSplits splits = locator.load("fixture", null);
        assertEquals(20, splits.train().size());
        assertEquals(10, splits.test().size());
        assertEquals(4, requests.get());
        assertTrue(Files.isRegularFile(user.resolve("fixture/t10k-labels-idx1-ubyte.gz")));
        locator.load("fixture", null);
        assertEquals(4, requests.get(), "second load must use the per-user copy");
    }

    @Test
    void checksumMismatchFailsAndLeavesNoFile() throws Exception {
        Path user = tmp.resolve("user");
        DatasetLocator locator = new DatasetLocator(List.of(source(null, true)), user, new Downloader(), true);
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class, () -> locator.load("fixture", null));
        assertTrue(
                e.getMessage().contains("checksum mismatch") && e.getMessage().contains("apt-get install"),
                e.getMessage());
        assertFalse(Files.exists(user.resolve("fixture/t10k-images-idx3-ubyte.gz")));
        try (Stream<Path> s = Files.list(user.resolve("fixture"))) {
            assertTrue(s.noneMatch(p -> p.toString().endsWith(".part")), "no partial file left");
        }
    }

    @Test
    void searchOrderIsDataDirThenUserDirThenSystemDir() throws Exception {
        Path system = tmp.resolve("system");
        DatasetFixtures.writeIdxSet(system, 30, 10);
        Path user = tmp.resolve("user");
        DatasetLocator locator = new DatasetLocator(List.of(source(system, false)), user, new Downloader(), true);
        assertEquals(30, locator.load("fixture", null).train().size(), "system copy");
        DatasetFixtures.writeIdxSet(user.resolve("fixture"), 40, 10);
        assertEquals(40, locator.load("fixture", null).train().size(), "user copy first");
        Path mine = tmp.resolve("mine");
        DatasetFixtures.writeIdxSet(mine, 50, 10);
        assertEquals(50, locator.load("fixture", mine).train().size(), "--data first");
        assertEquals(0, requests.get());
    }

    @Test
    void missingDatasetSaysHowToGetIt() throws Exception {
        DatasetLocator locator =
                new DatasetLocator(List.of(source(null, false)), tmp.resolve("user"), new Downloader(), false);
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class, () -> locator.load("fixture", null));
        assertTrue(
                e.getMessage().contains("not found") && e.getMessage().contains("apt-get install the-fixture"),
                e.getMessage());
        InvalidDatasetException named =
                assertThrows(InvalidDatasetException.class, () -> locator.load("fixture", tmp.resolve("empty")));
        assertTrue(named.getMessage().contains("empty"), named.getMessage());
    }
}
