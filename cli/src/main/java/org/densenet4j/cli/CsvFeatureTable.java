package org.densenet4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.densenet4j.base.AtomicFile;

/** Features as CSV: a header {@code file,f0,f1,...}, then one quoted file name and its values per line. */
final class CsvFeatureTable implements FeatureTable {

    @Override
    public String extension() {
        return ".csv";
    }

    @Override
    public void write(Path out, List<Path> files, List<float[]> features, int dimension) throws IOException {
        StringBuilder csv = new StringBuilder("file");
        for (int d = 0; d < dimension; d++) {
            csv.append(",f").append(d);
        }
        csv.append('\n');
        for (int i = 0; i < files.size(); i++) {
            csv.append('"')
                    .append(files.get(i).toString().replace("\"", "\"\""))
                    .append('"');
            for (float v : features.get(i)) {
                csv.append(',').append(v);
            }
            csv.append('\n');
        }
        AtomicFile.write(out, o -> o.write(csv.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
