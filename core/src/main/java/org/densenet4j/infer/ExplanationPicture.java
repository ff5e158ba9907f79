package org.densenet4j.infer;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * Draws an explanation as people read it: the image, the map's positive part over it in the jet colours
 * (transparent where the map is zero), a colour bar from 0 to the map's largest value, a cross at the peak, and
 * the label, probability, method and layer above.
 */
public final class ExplanationPicture {

    /** The shorter side images are scaled to: 28x28 images become readable, photographs stay sharp enough. */
    static final int SIDE = 280;

    /**
     * The longest side an image is shown at: an image of extreme shape (1 x 16,000,000) is shrunk to fit instead of
     * enlarged to a canvas of billions of pixels. The explanation's numbers do not depend on the picture.
     */
    static final int MAX_SIDE = 4 * SIDE;

    private static final int MARGIN = 12;
    private static final int TITLE = 30;
    private static final int BAR = 16;
    private static final int BAR_LABELS = 56;

    private ExplanationPicture() {}

    /** The picture for {@code explanation} of {@code image}. */
    public static BufferedImage draw(BufferedImage image, Explanation explanation) {
        double scale = Math.min(
                (double) SIDE / Math.min(image.getWidth(), image.getHeight()),
                (double) MAX_SIDE / Math.max(image.getWidth(), image.getHeight()));
        int w = (int) Math.max(1, Math.round(image.getWidth() * scale));
        int h = (int) Math.max(1, Math.round(image.getHeight() * scale));
        BufferedImage out = new BufferedImage(
                MARGIN + w + MARGIN + BAR + BAR_LABELS, TITLE + h + MARGIN, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, out.getWidth(), out.getHeight());
            // Small images are enlarged without smoothing, so that their pixels stay visible.
            g.setRenderingHint(
                    RenderingHints.KEY_INTERPOLATION,
                    scale >= 2
                            ? RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR
                            : RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(image, MARGIN, TITLE, w, h, null);
            float[] heat = explanation.positivePartResized(w, h);
            float max = 0;
            for (float v : heat) {
                max = Math.max(max, v);
            }
            BufferedImage overlay = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float t = max > 0 ? heat[y * w + x] / max : 0;
                    overlay.setRGB(x, y, ((int) (150 * Math.sqrt(t)) << 24) | (jet(t) & 0xffffff));
                }
            }
            g.drawImage(overlay, MARGIN, TITLE, null);
            int[] peak = explanation.peakInImage(w, h);
            g.setColor(Color.WHITE);
            g.setStroke(new BasicStroke(2f));
            g.drawLine(MARGIN + peak[0] - 6, TITLE + peak[1], MARGIN + peak[0] + 6, TITLE + peak[1]);
            g.drawLine(MARGIN + peak[0], TITLE + peak[1] - 6, MARGIN + peak[0], TITLE + peak[1] + 6);
            int barX = MARGIN + w + MARGIN;
            for (int y = 0; y < h; y++) {
                g.setColor(new Color(jet(h > 1 ? 1 - (float) y / (h - 1) : 1)));
                g.drawLine(barX, TITLE + y, barX + BAR, TITLE + y);
            }
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.drawString(String.format(Locale.ROOT, "%.3g", (double) max), barX + BAR + 4, TITLE + 10);
            g.drawString("0", barX + BAR + 4, TITLE + h);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(
                    String.format(
                            Locale.ROOT,
                            "%s  %.1f%%   %s, block %d",
                            explanation.label(),
                            100 * explanation.probability(),
                            explanation.method() == Explainer.Method.CAM ? "CAM" : "Grad-CAM",
                            explanation.block()),
                    MARGIN,
                    20);
        } finally {
            g.dispose();
        }
        return out;
    }

    /** The jet colour map (blue, cyan, yellow, red) at {@code t} in [0, 1], as RGB. */
    static int jet(float t) {
        float r = clamp(1.5f - Math.abs(4 * t - 3));
        float gr = clamp(1.5f - Math.abs(4 * t - 2));
        float b = clamp(1.5f - Math.abs(4 * t - 1));
        return ((int) (255 * r) << 16) | ((int) (255 * gr) << 8) | (int) (255 * b);
    }

    private static float clamp(float v) {
        return Math.max(0, Math.min(1, v));
    }
}
