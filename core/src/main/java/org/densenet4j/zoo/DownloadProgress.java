package org.densenet4j.zoo;

import ai.djl.util.Progress;
import org.densenet4j.data.Downloader;

/**
 * A download's progress reported to the DJL {@link Progress} a {@code Criteria} carries ({@code optProgress}, e.g.
 * DJL's console {@code ProgressBar}), so that fetching pretrained weights through the zoo shows what the command
 * line's bar shows. Closing it ends a bar a failed download left open, so the console is left clean.
 */
final class DownloadProgress implements Downloader.Progress, AutoCloseable {

    private final Progress progress;
    private final String fileName;
    private boolean started;
    private boolean ended;

    DownloadProgress(Progress progress, String fileName) {
        this.progress = progress;
        this.fileName = fileName;
    }

    /** Reports to {@code progress}, or nowhere if the criteria carry none (null). */
    static DownloadProgress of(Progress progress, String fileName) {
        return new DownloadProgress(progress, fileName);
    }

    @Override
    public void transferred(long bytes, long total) {
        if (progress == null || total <= 0) {
            return; // DJL's bars need a total; a server that sends none gets no bar
        }
        if (!started) {
            progress.reset("Downloading " + fileName, total);
            progress.start(0);
            started = true;
        }
        progress.update(bytes);
        if (bytes >= total) {
            close();
        }
    }

    /** Ends the bar if a download started it and has not ended it (a download that failed half-way). */
    @Override
    public void close() {
        if (started && !ended) {
            ended = true;
            progress.end();
        }
    }
}
