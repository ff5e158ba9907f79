package org.densenet4j.train;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.densenet4j.base.AtomicFile;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Writes a run's per-epoch metrics as CSV, JSON and a PNG of the loss and accuracy curves. */
public final class MetricsReport {

    public static final String CSV = "metrics.csv";
    public static final String JSON = "metrics.json";
    public static final String PLOT = "curves.png";

    private MetricsReport() {}

    public static void write(Path runDir, List<EpochMetrics> history) throws IOException {
        StringBuilder csv = new StringBuilder("epoch,learning_rate,train_loss,train_accuracy,test_loss,"
                + "test_accuracy,test_top5,seconds,images_per_second,skipped_images\n");
        for (EpochMetrics m : history) {
            csv.append(String.format(
                    Locale.ROOT,
                    "%d,%.6g,%.6f,%.6f,%.6f,%.6f,%.6f,%.2f,%.2f,%d%n",
                    m.epoch(),
                    m.learningRate(),
                    m.trainLoss(),
                    m.trainAccuracy(),
                    m.testLoss(),
                    m.testAccuracy(),
                    m.testTop5(),
                    m.seconds(),
                    m.imagesPerSecond(),
                    m.skippedImages()));
        }
        atomicWrite(runDir.resolve(CSV), csv.toString());
        atomicWrite(
                runDir.resolve(JSON),
                new GsonBuilder()
                        .setPrettyPrinting()
                        .serializeSpecialFloatingPointValues()
                        .create()
                        .toJson(history));
        plot(runDir.resolve(PLOT), history);
    }

    private static void plot(Path file, List<EpochMetrics> history) throws IOException {
        double[] epochs = history.stream().mapToDouble(EpochMetrics::epoch).toArray();
        XYChart loss = new XYChartBuilder()
                .width(560)
                .height(400)
                .title("Loss")
                .xAxisTitle("epoch")
                .yAxisTitle("cross-entropy")
                .build();
        loss.addSeries(
                        "train",
                        epochs,
                        history.stream().mapToDouble(EpochMetrics::trainLoss).toArray())
                .setMarker(SeriesMarkers.CIRCLE);
        loss.addSeries(
                        "test",
                        epochs,
                        history.stream().mapToDouble(EpochMetrics::testLoss).toArray())
                .setMarker(SeriesMarkers.CIRCLE);
        XYChart accuracy = new XYChartBuilder()
                .width(560)
                .height(400)
                .title("Accuracy")
                .xAxisTitle("epoch")
                .yAxisTitle("top-1 accuracy")
                .build();
        accuracy.addSeries(
                        "train",
                        epochs,
                        history.stream()
                                .mapToDouble(EpochMetrics::trainAccuracy)
                                .toArray())
                .setMarker(SeriesMarkers.CIRCLE);
        accuracy.addSeries(
                        "test",
                        epochs,
                        history.stream().mapToDouble(EpochMetrics::testAccuracy).toArray())
                .setMarker(SeriesMarkers.CIRCLE);
        AtomicFile.write(
                file,
                out -> BitmapEncoder.saveBitmap(List.of(loss, accuracy), 1, 2, out, BitmapEncoder.BitmapFormat.PNG));
    }

    private static void atomicWrite(Path file, String text) throws IOException {
        AtomicFile.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }
}
