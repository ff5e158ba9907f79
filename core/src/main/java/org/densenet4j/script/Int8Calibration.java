package org.densenet4j.script;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.NonFiniteOutputException;
import org.densenet4j.model.DenseNetConfig;

/**
 * The observed range of every map the int8 network quantizes ({@link Int8Code}'s points), and the uint8 scale and
 * zero point each gets. Method: the minimum and maximum over the calibration images (widened to hold 0, so that
 * ReLU's zeros and the convolutions' zero padding are exact), spread over the 256 levels.
 *
 * @param points the points' names, in the int8 code's order
 * @param min per point, the smallest value seen
 * @param max per point, the largest value seen
 * @param images how many images were seen
 */
public record Int8Calibration(List<String> points, double[] min, double[] max, long images) {

    /** The method, as {@link #describe} records it. */
    public static final String METHOD = "min-max";

    /**
     * The largest magnitude a stored range may have: far beyond any activation of a working network, and small
     * enough that every scale derived from it is a finite float32 (libtorch keeps scales as float).
     */
    static final double MAX_MAGNITUDE = 1e30;

    /** The most calibration images a description may claim (a sanity bound: calibrations take hundreds). */
    static final long MAX_IMAGES = 1_000_000_000L;

    public Int8Calibration {
        points = List.copyOf(points);
        if (min.length != points.size() || max.length != points.size()) {
            throw new IllegalArgumentException("calibration has " + points.size() + " points but " + min.length
                    + " minima and " + max.length + " maxima");
        }
        for (int i = 0; i < min.length; i++) {
            if (!Double.isFinite(min[i]) || !Double.isFinite(max[i]) || min[i] > max[i]) {
                throw new IllegalArgumentException("calibration range of " + points.get(i) + " is not a finite "
                        + "range: [" + min[i] + ", " + max[i] + "]");
            }
        }
        min = min.clone();
        max = max.clone();
    }

    /**
     * This calibration as JSON objects: {@code method} ({@value #METHOD}), {@code images}, {@code points},
     * {@code min} and {@code max}; {@link #fromDescription} reads it back.
     */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("method", METHOD);
        out.put("images", images);
        out.put("points", points);
        out.put("min", min.clone());
        out.put("max", max.clone());
        return out;
    }

    /**
     * Reads a description ({@link #describe}) as JSON parsed it (maps, lists, numbers, strings), which may come from a
     * hostile file: it must name exactly the points of {@code config}'s int8 network, in order, each with a finite
     * range of magnitude at most 1e30, and a whole number of images from 1 to a billion.
     *
     * @throws IllegalArgumentException saying what is missing or malformed
     */
    public static Int8Calibration fromDescription(Object json, DenseNetConfig config) {
        if (!(json instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("the calibration is not a JSON object");
        }
        if (!METHOD.equals(m.get("method"))) {
            throw new IllegalArgumentException(
                    "calibration method " + shown(m.get("method")) + " is not one densenet4j makes (" + METHOD + ")");
        }
        List<String> expected = Int8Code.points(config);
        if (!(m.get("points") instanceof List<?> points) || !points.equals(expected)) {
            throw new IllegalArgumentException("the calibration's points are not the " + expected.size()
                    + " points of this network's int8 module: it was made for another network");
        }
        double[] lo = ranges(m.get("min"), "min", expected.size());
        double[] hi = ranges(m.get("max"), "max", expected.size());
        Object images = m.get("images");
        if (!(images instanceof Number n)
                || n.doubleValue() != Math.rint(n.doubleValue())
                || n.doubleValue() < 1
                || n.doubleValue() > MAX_IMAGES) {
            throw new IllegalArgumentException("the calibration's images must be a whole number from 1 to " + MAX_IMAGES
                    + ", got " + shown(images));
        }
        return new Int8Calibration(expected, lo, hi, n.longValue());
    }

    private static double[] ranges(Object json, String key, int points) {
        if (!(json instanceof List<?> list) || list.size() != points) {
            throw new IllegalArgumentException(
                    "the calibration's " + key + " must be a list of " + points + " numbers");
        }
        double[] out = new double[points];
        for (int i = 0; i < points; i++) {
            if (!(list.get(i) instanceof Number n)
                    || !Double.isFinite(n.doubleValue())
                    || Math.abs(n.doubleValue()) > MAX_MAGNITUDE) {
                throw new IllegalArgumentException("the calibration's " + key + "[" + i + "] is " + shown(list.get(i))
                        + ", not a finite number of magnitude at most " + MAX_MAGNITUDE);
            }
            out[i] = n.doubleValue();
        }
        return out;
    }

    /** A value from a file as a message shows it: at most 40 characters. */
    private static String shown(Object value) {
        return TerminalText.excerpt(value, 40);
    }

    /** The points of {@code config}'s int8 network, by name, in the order a calibration of it holds them. */
    public static List<String> pointsOf(DenseNetConfig config) {
        return Int8Code.points(config);
    }

    /** No range seen yet, for {@code points}. */
    static Int8Calibration empty(List<String> points) {
        double[] min = new double[points.size()];
        double[] max = new double[points.size()];
        return new Int8Calibration(points, min, max, 0);
    }

    /** This calibration widened by a batch's (min, max) rows, row {@code r} belonging to point {@code rowPoints[r]}. */
    Int8Calibration with(float[] rows, int[] rowPoints, long batchImages) {
        if (rows.length != 2 * rowPoints.length) {
            throw new IllegalArgumentException(
                    "expected " + rowPoints.length + " (min, max) rows, got " + rows.length / 2.0);
        }
        double[] lo = min.clone();
        double[] hi = max.clone();
        for (int r = 0; r < rowPoints.length; r++) {
            if (!Float.isFinite(rows[2 * r]) || !Float.isFinite(rows[2 * r + 1])) {
                // the model's failure, not the user's: its weights hold NaN or infinite values
                throw new NonFiniteOutputException("the float32 network produced a non-finite value at "
                        + points.get(rowPoints[r]) + " during calibration: its weights hold NaN or infinite values");
            }
            int p = rowPoints[r];
            lo[p] = Math.min(lo[p], rows[2 * r]);
            hi[p] = Math.max(hi[p], rows[2 * r + 1]);
        }
        return new Int8Calibration(points, lo, hi, images + batchImages);
    }

    /** The uint8 scale of point {@code p}: its range over 255 steps (never 0). */
    public double scale(int p) {
        double range = Math.max(max[p], 0) - Math.min(min[p], 0);
        return Math.max(range / 255.0, 1e-8);
    }

    /** The uint8 zero point of point {@code p}: where 0.0 falls, in [0, 255]. */
    public int zeroPoint(int p) {
        long z = Math.round(-Math.min(min[p], 0) / scale(p));
        return (int) Math.max(0, Math.min(255, z));
    }

    @Override
    public double[] min() {
        return min.clone();
    }

    @Override
    public double[] max() {
        return max.clone();
    }

    @Override
    public String toString() {
        return "Int8Calibration[" + points.size() + " points, " + images + " images, input range "
                + Arrays.toString(new double[] {min[0], max[0]}) + "]";
    }
}
