package org.densenet4j.cli;

import java.io.PrintWriter;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.EvaluationReport;

/**
 * Prints an evaluation as people read it: accuracies, per-class accuracy, the confusion matrix. Class names come
 * from a checkpoint or a dataset's folders: they are escaped for the terminal ({@link TerminalText}).
 */
final class EvaluationPrinter {

    private EvaluationPrinter() {}

    static void print(PrintWriter out, EvaluationReport r) {
        out.printf("images: %d%s%n", r.images(), r.skipped() > 0 ? " (" + r.skipped() + " unreadable skipped)" : "");
        out.printf(
                "top-1 accuracy: %.2f%%%ntop-5 accuracy: %.2f%%%nloss: %.4f%n",
                100 * r.top1(), 100 * r.top5(), r.loss());
        out.println("per-class accuracy:");
        double[] acc = r.perClassAccuracy();
        for (int i = 0; i < acc.length; i++) {
            if (Double.isNaN(acc[i])) {
                out.printf(
                        "  %-16s      - (no test images)%n",
                        TerminalText.escape(r.classNames().get(i)));
            } else {
                out.printf(
                        "  %-16s %6.2f%%%n", TerminalText.escape(r.classNames().get(i)), 100 * acc[i]);
            }
        }
        out.println("confusion matrix (rows: true class, columns: predicted class index):");
        out.print(r.confusionText());
        out.flush();
    }
}
