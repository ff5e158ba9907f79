package org.densenet4j.script;

import java.util.Arrays;
import java.util.List;

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
                throw new IllegalArgumentException("the float32 network produced a non-finite value at "
                        + points.get(rowPoints[r]) + " during calibration");
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
