package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.script.TorchScriptExport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor's model lives as long as the executor: a TorchScript archive still classifies after garbage
 * collections. In a JVM of its own, because an executor JVM serves one model.
 */
class ExecutorModelTest {

    @TempDir
    Path tmp;

    @Test
    void aTorchScriptArchiveStillClassifiesAfterGarbageCollections() throws Exception {
        Path archive = tmp.resolve("model.pt");
        Path sample = Path.of("../models/fashion-mnist/samples/test-0.png").toAbsolutePath();
        String expected;
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel model = ModelFiles.open(SparkClassifyTest.BUNDLED, manager);
            TorchScriptExport.write(model, archive);
            expected = new ImageClassifier(model, manager)
                    .classify(ImageFiles.read(sample))
                    .best()
                    .getClassName();
        }
        List<String> command = new ArrayList<>(SparkParquetInputTest.childJava());
        command.addAll(List.of(ClassifyAfterCollections.class.getName(), archive.toString(), sample.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes());
        assertEquals(0, child.waitFor(), output);
        List<String> lines = output.strip().lines().toList();
        assertEquals("best: " + expected, lines.get(lines.size() - 1), output);
    }

    /** Loads the executor's model, lets the garbage collector run, then classifies: {@code ARCHIVE IMAGE}. */
    static final class ClassifyAfterCollections {
        public static void main(String[] args) throws Exception {
            ModelRequest request =
                    new ModelRequest(args[0], null, null, null, true, Precision.FP32.toString(), null, null);
            ImageClassifier classifier = ExecutorModel.get(request, 1);
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(100);
            }
            BufferedImage image = ImageFiles.read(Path.of(args[1]));
            String best = ExecutorModel.classify(classifier, List.of(image))
                    .get(0)
                    .best()
                    .getClassName();
            System.out.println("best: " + best);
            System.exit(0); // bounded: the test waits for this JVM
        }
    }
}
