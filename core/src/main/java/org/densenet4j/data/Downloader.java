package org.densenet4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * Downloads files over HTTP(S) into a temporary file, hashing them on the way, so that callers verify a file
 * against its published checksum before it is moved into place: a failed or tampered download never leaves a
 * file that looks complete. Datasets are checked against their MD5, pretrained weights against their SHA-256.
 */
public final class Downloader {

    private static final Logger LOG = LoggerFactory.getLogger(Downloader.class);

    /** The largest dataset file accepted (the largest official archive, CIFAR-100, is 161 MB). */
    private static final long MAX_DATASET_BYTES = 1L << 30;

    /** Reports a download's progress: bytes received so far and the total, or -1 when the server gives none. */
    @FunctionalInterface
    public interface Progress {
        void transferred(long bytes, long total);

        /** No report. */
        Progress NONE = (bytes, total) -> {};
    }

    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;

    /** Connects within 20 s, and gives up when the server sends nothing for 60 s (a stalled download). */
    public Downloader() {
        this(Duration.ofSeconds(20), Duration.ofSeconds(60));
    }

    /** A downloader with other timeouts (tests): to connect, and for the server's silence while reading. */
    public Downloader(Duration connectTimeout, Duration readTimeout) {
        this.connectTimeoutMillis = (int) connectTimeout.toMillis();
        this.readTimeoutMillis = (int) readTimeout.toMillis();
    }

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
            String md5 = download(file.url(), partial, "MD5", MAX_DATASET_BYTES, Progress.NONE);
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

    /**
     * Writes the body of {@code url} to {@code to} and returns its digest in lower-case hex.
     *
     * @param algorithm the digest, e.g. "SHA-256"
     * @param maxBytes the largest body accepted: a larger declared Content-Length is refused before reading, a
     *     longer body when it passes the bound
     * @throws IOException naming the URL and the problem: unreachable host, refused connection, a timeout
     *     (connecting, or the server silent for the read timeout), HTTP status, a body larger than {@code maxBytes}, or shorter than its Content-Length (truncated)
     */
    public String download(URI url, Path to, String algorithm, long maxBytes, Progress progress) throws IOException {
        // HttpURLConnection rather than HttpClient: its read timeout bounds a server that stops sending mid-body.
        HttpURLConnection connection;
        int status;
        try {
            connection = (HttpURLConnection) url.toURL().openConnection();
            connection.setConnectTimeout(connectTimeoutMillis);
            connection.setReadTimeout(readTimeoutMillis);
            connection.setInstanceFollowRedirects(true);
            status = connection.getResponseCode();
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(url + ": cannot download: " + reason(e), e);
        }
        try {
            if (status != 200) {
                throw new IOException(url + ": HTTP " + status);
            }
            long declared = connection.getContentLengthLong();
            if (declared > maxBytes) {
                throw new IOException(url + ": the server announces " + declared + " bytes, more than the " + maxBytes
                        + " expected at most; refusing it");
            }
            MessageDigest digest = digest(algorithm);
            long received = 0;
            byte[] buffer = new byte[1 << 16];
            try (InputStream body = connection.getInputStream();
                    OutputStream out = Files.newOutputStream(to)) {
                int n;
                while ((n = body.read(buffer)) >= 0) {
                    received += n;
                    if (received > maxBytes || declared >= 0 && received > declared) {
                        throw new IOException(url + ": the body is longer than "
                                + (declared >= 0 ? "its Content-Length " + declared : maxBytes + " bytes")
                                + "; refusing it");
                    }
                    digest.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                    progress.transferred(received, declared);
                }
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().startsWith(url.toString())) {
                    throw e;
                }
                throw new IOException(url + ": download broken off after " + received + " bytes: " + reason(e), e);
            }
            if (declared >= 0 && received != declared) {
                throw new IOException(
                        url + ": truncated download: " + received + " of the " + declared + " bytes announced");
            }
            return HexFormat.of().formatHex(digest.digest());
        } finally {
            connection.disconnect();
        }
    }

    /** An exception's cause in words: Java's network exceptions often carry no message. */
    private static String reason(Exception e) {
        if (e instanceof ConnectException) {
            return "connection refused or unreachable";
        }
        if (e instanceof SocketTimeoutException) {
            return "timed out (" + e.getMessage() + ")";
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + e.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
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

    /** The digest named, e.g. "MD5" or "SHA-256", which every JDK provides. */
    public static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
