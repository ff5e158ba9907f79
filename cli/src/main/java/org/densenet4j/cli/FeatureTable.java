package org.densenet4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * A file format {@code embed} writes features in, chosen by the output's extension: {@code .npy} and {@code .csv}
 * here, {@code .parquet} from the Spark module (found through {@link ServiceLoader}, as it needs Parquet's libraries).
 * Every format writes atomically ({@link org.densenet4j.base.AtomicFile}): a failed or interrupted write leaves no
 * partial file, and a format of several files writes them together or not at all.
 */
public interface FeatureTable {

    /** The extension this format writes, with the dot, lower case. */
    String extension();

    /** The files {@link #write} writes for {@code out}: {@code out} itself, and any file that goes with it. */
    default List<Path> files(Path out) {
        return List.of(out);
    }

    /**
     * Checks, before any work, that this format can hold these image files' names.
     *
     * @throws IllegalArgumentException naming the file it cannot hold and the formats that can
     */
    default void checkNames(List<Path> files) {}

    /**
     * Writes one row per image: its file and its features.
     *
     * @param features one array of {@code dimension} values per file, in the same order
     */
    void write(Path out, List<Path> files, List<float[]> features, int dimension) throws IOException;

    /**
     * The format for {@code out}'s extension.
     *
     * @throws IllegalArgumentException naming the extensions available
     */
    static FeatureTable forFile(Path out) {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        List<FeatureTable> formats = new java.util.ArrayList<>(List.of(new NpyFeatureTable(), new CsvFeatureTable()));
        ServiceLoader.load(FeatureTable.class).forEach(formats::add);
        for (FeatureTable f : formats) {
            if (name.endsWith(f.extension())) {
                return f;
            }
        }
        String known =
                String.join(", ", formats.stream().map(FeatureTable::extension).toList());
        String hint = formats.stream().anyMatch(f -> f.extension().equals(".parquet"))
                ? ""
                : " (.parquet needs the Spark module: run through ./densenet4j, which provides it)";
        throw new IllegalArgumentException("--out must end in " + known + ", got " + out + hint);
    }
}
