package org.densenet4j.infer;

/**
 * Where the network looked for one class in one image: a map over the feature grid of the explained layer.
 *
 * @param classIndex the explained class
 * @param label its name
 * @param probability the model's probability for it
 * @param method CAM or Grad-CAM
 * @param block the dense block whose output was explained (1-based; the last means the final features)
 * @param height rows of the map
 * @param width columns of the map
 * @param map row-major values: CAM's raw class scores per position (their mean is the logit minus the bias),
 *     or Grad-CAM's rectified weighted maps
 */
public record Explanation(
        int classIndex,
        String label,
        double probability,
        Explainer.Method method,
        int block,
        int height,
        int width,
        float[] map) {

    /** The map's value at a row and column. */
    public float at(int row, int column) {
        return map[row * width + column];
    }

    /** Row and column of the map's largest value (the first one in row-major order on ties). */
    public int[] peak() {
        int best = 0;
        for (int i = 1; i < map.length; i++) {
            if (map[i] > map[best]) {
                best = i;
            }
        }
        return new int[] {best / width, best % width};
    }

    /**
     * The peak's position in an image of {@code imageWidth} x {@code imageHeight} pixels: the centre of the peak's
     * cell, {@code {x, y}}.
     */
    public int[] peakInImage(int imageWidth, int imageHeight) {
        int[] rc = peak();
        return new int[] {(int) ((rc[1] + 0.5) * imageWidth / width), (int) ((rc[0] + 0.5) * imageHeight / height)};
    }

    /**
     * The map's positive part resampled to {@code outWidth} x {@code outHeight} by bilinear interpolation
     * (cell centres aligned, as torchvision's {@code align_corners=False}), for overlays and statistics.
     */
    public float[] positivePartResized(int outWidth, int outHeight) {
        float[] out = new float[outWidth * outHeight];
        for (int y = 0; y < outHeight; y++) {
            double sy = Math.max(0, Math.min(height - 1, (y + 0.5) * height / outHeight - 0.5));
            int y0 = (int) Math.floor(sy);
            int y1 = Math.min(height - 1, y0 + 1);
            double fy = sy - y0;
            for (int x = 0; x < outWidth; x++) {
                double sx = Math.max(0, Math.min(width - 1, (x + 0.5) * width / outWidth - 0.5));
                int x0 = (int) Math.floor(sx);
                int x1 = Math.min(width - 1, x0 + 1);
                double fx = sx - x0;
                double v = (1 - fy) * ((1 - fx) * positive(y0, x0) + fx * positive(y0, x1))
                        + fy * ((1 - fx) * positive(y1, x0) + fx * positive(y1, x1));
                out[y * outWidth + x] = (float) v;
            }
        }
        return out;
    }

    private float positive(int row, int column) {
        return Math.max(0, at(row, column));
    }

    /**
     * The explanation as JSON-ready data for an image of {@code imageWidth} x {@code imageHeight}: class, label,
     * probability, method, layer, peak (in image pixels and map cells), map size and the map as rows.
     */
    public java.util.Map<String, Object> describe(int imageWidth, int imageHeight) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("class", classIndex);
        m.put("label", label);
        m.put("probability", probability);
        m.put("method", method.toString());
        m.put("layer", "block" + block);
        int[] xy = peakInImage(imageWidth, imageHeight);
        int[] cell = peak();
        m.put("peak", java.util.Map.of("x", xy[0], "y", xy[1], "row", cell[0], "column", cell[1]));
        m.put("map_size", java.util.List.of(height, width));
        float[][] rows = new float[height][];
        for (int r = 0; r < height; r++) {
            rows[r] = java.util.Arrays.copyOfRange(map, r * width, (r + 1) * width);
        }
        m.put("map", rows);
        return m;
    }
}
