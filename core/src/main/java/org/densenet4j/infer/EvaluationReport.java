package org.densenet4j.infer;

import java.util.List;
import org.densenet4j.base.TerminalText;

/**
 * Accuracy figures of a model on a labelled set.
 *
 * @param images images evaluated
 * @param loss mean cross-entropy
 * @param top1 fraction whose most probable class is right
 * @param top5 fraction whose right class is among the five most probable
 * @param classNames names by label
 * @param confusion counts, row = true class, column = predicted class
 * @param skipped unreadable images left out
 */
public record EvaluationReport(
        int images, double loss, double top1, double top5, List<String> classNames, long[][] confusion, int skipped) {

    /** Per-class accuracy (recall): the diagonal over the row sums; NaN for a class with no images. */
    public double[] perClassAccuracy() {
        double[] acc = new double[confusion.length];
        for (int i = 0; i < confusion.length; i++) {
            long total = 0;
            for (long c : confusion[i]) {
                total += c;
            }
            acc[i] = total == 0 ? Double.NaN : confusion[i][i] / (double) total;
        }
        return acc;
    }

    /**
     * The confusion matrix as aligned text, rows true classes, columns predictions; class names are escaped for the
     * terminal ({@link TerminalText}).
     */
    public String confusionText() {
        StringBuilder b = new StringBuilder();
        int width = 6;
        for (long[] row : confusion) {
            for (long c : row) {
                width = Math.max(width, Long.toString(c).length() + 1);
            }
        }
        List<String> names = classNames.stream().map(TerminalText::escape).toList();
        int nameWidth = names.stream().mapToInt(String::length).max().orElse(5) + 1;
        b.append(String.format("%-" + nameWidth + "s", "true\\pred"));
        for (int j = 0; j < confusion.length; j++) {
            b.append(String.format("%" + width + "d", j));
        }
        b.append('\n');
        for (int i = 0; i < confusion.length; i++) {
            b.append(String.format("%-" + nameWidth + "s", names.get(i)));
            for (long c : confusion[i]) {
                b.append(String.format("%" + width + "d", c));
            }
            b.append('\n');
        }
        return b.toString();
    }
}
