package org.densenet4j.infer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.densenet4j.base.AtomicFile;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

/** Draws a confusion matrix as a PNG heat map, true classes down, predictions across. */
public final class ConfusionPlot {

    private ConfusionPlot() {}

    public static void write(EvaluationReport report, Path file) throws IOException {
        int k = report.confusion().length;
        HeatMapChart chart = new HeatMapChartBuilder()
                .width(120 + 60 * k)
                .height(100 + 50 * k)
                .title(String.format("Confusion matrix (top-1 %.2f%%)", 100 * report.top1()))
                .xAxisTitle("predicted")
                .yAxisTitle("true")
                .build();
        chart.getStyler().setShowValue(true);
        chart.getStyler().setLegendVisible(false);
        List<String> names = report.classNames();
        List<Number[]> cells = new ArrayList<>();
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < k; p++) {
                // Row 0 drawn at the top: the y axis counts upwards.
                cells.add(new Number[] {p, k - 1 - t, report.confusion()[t][p]});
            }
        }
        List<String> yNames =
                IntStream.range(0, k).mapToObj(i -> names.get(k - 1 - i)).collect(Collectors.toList());
        chart.addSeries("confusion", names, yNames, cells);
        AtomicFile.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }
}
