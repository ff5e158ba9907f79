package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.io.NpyFile;

/**
 * Features as a float32 {@code .npy} (images x features) with the image list in the sibling {@code .txt}. The two
 * appear together or not at all; the list is renamed into place first, so that a {@code .npy} is never without it.
 */
final class NpyFeatureTable implements FeatureTable {

    @Override
    public String extension() {
        return ".npy";
    }

    @Override
    public List<Path> files(Path out) {
        return List.of(imageList(out), out);
    }

    /** The image list holds one name per line: a name with a line break in it would shift every row after it. */
    @Override
    public void checkNames(List<Path> files) {
        for (Path f : files) {
            String name = f.toString();
            if (name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0) {
                throw new IllegalArgumentException(name + ": its name holds a line break, which the .txt image list "
                        + "(one name per line) cannot hold: write .csv or .parquet instead");
            }
        }
    }

    @Override
    public void write(Path out, List<Path> files, List<float[]> features, int dimension) throws IOException {
        checkNames(files);
        float[] flat = new float[features.size() * dimension];
        for (int i = 0; i < features.size(); i++) {
            System.arraycopy(features.get(i), 0, flat, i * dimension, dimension);
        }
        StringBuilder text = new StringBuilder();
        files.forEach(f -> text.append(f).append('\n'));
        try (NDManager manager = NDManager.newBaseManager()) {
            var table = manager.create(flat, new Shape(features.size(), dimension));
            AtomicFile.writeTogether(List.of(
                    new AtomicFile.Part(
                            imageList(out), o -> o.write(text.toString().getBytes(StandardCharsets.UTF_8))),
                    new AtomicFile.Part(out, o -> NpyFile.writeFloat32(table, o))));
        }
    }

    /** FILE.txt beside FILE.npy. */
    private static Path imageList(Path out) {
        return out.resolveSibling(out.getFileName().toString().replaceAll("(?i)\\.npy$", ".txt"));
    }
}
