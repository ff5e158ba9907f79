package org.densenet4j.cli;

import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.densenet4j.base.TerminalText;
import org.densenet4j.train.EpochMetrics;
import org.densenet4j.train.PretrainedStart;
import org.densenet4j.train.TrainingListener;

/**
 * Shows a progress bar per epoch (loss, accuracy, images/s, ETA) and a line per finished epoch. Closing it ends
 * a bar left open by a failed epoch, so that the error message starts on a line of its own.
 */
final class ProgressListener implements TrainingListener, AutoCloseable {

    private final PrintWriter out;
    private ProgressBar bar;

    ProgressListener(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void onEpochStart(int epoch, int epochs, int batches, double learningRate) {
        bar = new ProgressBarBuilder()
                .setTaskName(String.format("epoch %d/%d", epoch, epochs))
                .setInitialMax(batches)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                .setMaxRenderedLength(120)
                .build();
    }

    @Override
    public void onBatch(int batch, double loss, double accuracy, double imagesPerSecond) {
        bar.stepTo(batch);
        bar.setExtraMessage(String.format("loss %.4f acc %.2f%% %.0f img/s", loss, 100 * accuracy, imagesPerSecond));
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    @Override
    public void onPretrainedLoaded(PretrainedStart.Report report) {
        out.println("pretrained weights: " + TerminalText.escape(report.describe()));
        out.flush();
    }

    @Override
    public void onFeaturesCached(int images, double seconds) {
        out.printf(
                "linear probe: features of %,d training images computed once in %.1f s; epochs train the classifier "
                        + "on them%n",
                images, seconds);
        out.flush();
    }

    @Override
    public void onEpochEnd(EpochMetrics m) {
        close();
        out.printf("epoch %d: lr %.4g, %s%n", m.epoch(), m.learningRate(), m.summary());
        out.flush();
    }
}
