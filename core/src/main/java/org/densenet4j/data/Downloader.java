package org.densenet4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads dataset files over HTTP(S), verifying each against its published MD5 before it is moved
 * into place: a failed or tampered download never leaves a file that looks complete.
 */
public final class Downloader {

    private static final Logger LOG = LoggerFactory.getLogger(Downloader.class);

    private final HttpClient client = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(20))
            .build();

    /**
     * Fetches {@code file} into {@code dir}; an archive is extracted there and then deleted.
     *
     * @throws IOException naming the URL and the problem (HTTP status, checksum mismatch, network)
     */
    public void fetch(RemoteFile file, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(file.fileName());
        Path partial = Files.createTempFile(dir, file.fileName(), ".part");
        try {
            LOG.info("downloading {}", file.url());
            String md5 = download(file.url(), partial);
            if (!md5.equalsIgnoreCase(file.md5())) {
                throw new IOException(file.url() + ": checksum mismatch: MD5 " + md5 + ", expected " + file.md5()
                        + "; the download is corrupt or not the published file");
            }
            if (file.archive()) {
                extract(partial, dir, file.url());
            } else {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private String download(URI url, Path to) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(Duration.ofMinutes(30))
                .GET()
                .build();
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(url + ": download interrupted", e);
        } catch (IOException e) {
            throw new IOException(url + ": cannot download: " + e, e);
        }
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new IOException(url + ": HTTP " + response.statusCode());
            }
            MessageDigest md5 = md5();
            try (InputStream in = new DigestInputStream(body, md5);
                    OutputStream out = Files.newOutputStream(to)) {
                in.transferTo(out);
            }
            return HexFormat.of().formatHex(md5.digest());
        }
    }

    /** Extracts the archive's regular files by base name only, so no entry can escape {@code dir}. */
    private static void extract(Path archive, Path dir, URI url) throws IOException {
        try (InputStream raw = Files.newInputStream(archive);
                TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(raw))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (!entry.isFile()) {
                    continue;
                }
                String name = Path.of(entry.getName()).getFileName().toString();
                Path tmp = Files.createTempFile(dir, name, ".part");
                try {
                    Files.copy(tar, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(
                            tmp,
                            dir.resolve(name),
                            StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        } catch (IOException e) {
            throw new IOException(url + ": cannot extract archive: " + e.getMessage(), e);
        }
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
