package org.densenet4j.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.util.Progress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DownloadProgressTest {

    /** Records what a DJL progress bar is told. */
    private static final class Recording implements Progress {
        final List<String> calls = new ArrayList<>();

        @Override
        public void reset(String message, long max, String trailingMessage) {
            calls.add("reset " + message + " " + max);
        }

        @Override
        public void start(long initialProgress) {
            calls.add("start " + initialProgress);
        }

        @Override
        public void end() {
            calls.add("end");
        }

        @Override
        public void increment(long increment) {
            calls.add("increment " + increment);
        }

        @Override
        public void update(long progress, String message) {
            calls.add("update " + progress);
        }
    }

    @Test
    void aDownloadIsOneBarFromStartToEnd() {
        Recording bar = new Recording();
        DownloadProgress progress = DownloadProgress.of(bar, "densenet121-a639ec97.pth");
        progress.transferred(100, 300);
        progress.transferred(200, 300);
        progress.transferred(300, 300);
        progress.close();
        assertEquals(
                List.of(
                        "reset Downloading densenet121-a639ec97.pth 300",
                        "start 0",
                        "update 100",
                        "update 200",
                        "update 300",
                        "end"),
                bar.calls);
    }

    @Test
    void withoutATotalOrABarNothingIsReported() {
        Recording bar = new Recording();
        DownloadProgress.of(bar, "x.pth").transferred(100, -1);
        assertEquals(List.of(), bar.calls);
        DownloadProgress none = DownloadProgress.of(null, "x.pth");
        none.transferred(100, 300);
        none.close(); // no bar to tell: nothing thrown
    }

    @Test
    void aFailedDownloadEndsItsBar() {
        Recording bar = new Recording();
        try (DownloadProgress progress = DownloadProgress.of(bar, "x.pth")) {
            progress.transferred(100, 300); // then the connection drops
        }
        assertEquals(List.of("reset Downloading x.pth 300", "start 0", "update 100", "end"), bar.calls);
    }
}
