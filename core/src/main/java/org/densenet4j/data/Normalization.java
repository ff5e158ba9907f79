package org.densenet4j.data;

import java.util.Arrays;

/**
 * Per-channel mean/std normalisation, (pixel/255 - mean) / std, with statistics computed from the
 * training set and stored with the model so that inference normalises exactly as training did.
 */
public record Normalization(float[] mean, float[] std) {

    /** Images used at most to estimate the statistics of a large (lazily decoded) dataset. */
    private static final int MAX_SAMPLES = 20_000;

    public Normalization {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and std need one value per channel, got " + Arrays.toString(mean)
                    + " and " + Arrays.toString(std));
        }
        for (float s : std) {
            if (!(s > 0) || !Float.isFinite(s)) {
                throw new IllegalArgumentException("std must be positive and finite, got " + Arrays.toString(std));
            }
        }
        for (float m : mean) {
            if (!Float.isFinite(m)) {
                throw new IllegalArgumentException("mean must be finite, got " + Arrays.toString(mean));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    public int channels() {
        return mean.length;
    }

    /** Computes the statistics over the training set (evenly spaced images if it is very large). */
    public static Normalization fit(ImageDataset data) {
        int c = data.channels();
        int plane = data.height() * data.width();
        double[] sum = new double[c];
        double[] sumSq = new double[c];
        long count = 0;
        int step = Math.max(1, data.size() / MAX_SAMPLES);
        for (int i = 0; i < data.size(); i += step) {
            byte[] px;
            try {
                px = data.pixels(i);
            } catch (UnreadableImageException e) {
                continue; // the loader warns about it when it meets it
            }
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < plane; k++) {
                    double v = (px[ch * plane + k] & 0xff) / 255.0;
                    sum[ch] += v;
                    sumSq[ch] += v * v;
                }
            }
            count += plane;
        }
        if (count == 0) {
            throw new IllegalArgumentException(data.source() + ": no readable image to compute mean/std from");
        }
        float[] mean = new float[c];
        float[] std = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double m = sum[ch] / count;
            mean[ch] = (float) m;
            std[ch] = (float) Math.max(Math.sqrt(Math.max(sumSq[ch] / count - m * m, 0)), 1e-3);
        }
        return new Normalization(mean, std);
    }

    /** Writes one image's normalised values into {@code out} at {@code offset}. */
    public void apply(byte[] pixels, float[] out, int offset) {
        int plane = pixels.length / mean.length;
        for (int ch = 0; ch < mean.length; ch++) {
            float m = mean[ch];
            float inv = 1f / std[ch];
            int base = ch * plane;
            for (int k = 0; k < plane; k++) {
                out[offset + base + k] = ((pixels[base + k] & 0xff) / 255f - m) * inv;
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
