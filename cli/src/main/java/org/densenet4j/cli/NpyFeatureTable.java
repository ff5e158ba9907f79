package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.io.NpyFile;

/** Features as a float32 {@code .npy} (images x features) with the image list in the sibling {@code .txt}. */
final class NpyFeatureTable implements FeatureTable {

    @Override
    public String extension() {
        return ".npy";
    }

    @Override
    public void write(Path out, List<Path> files, List<float[]> features, int dimension) throws IOException {
        float[] flat = new float[features.size() * dimension];
        for (int i = 0; i < features.size(); i++) {
            System.arraycopy(features.get(i), 0, flat, i * dimension, dimension);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NpyFile.writeFloat32(manager.create(flat, new Shape(features.size(), dimension)), out);
        }
        Path list = out.resolveSibling(out.getFileName().toString().replaceAll("(?i)\\.npy$", ".txt"));
        StringBuilder text = new StringBuilder();
        files.forEach(f -> text.append(f).append('\n'));
        AtomicFile.write(list, o -> o.write(text.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
