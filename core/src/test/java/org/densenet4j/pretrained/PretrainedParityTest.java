package org.densenet4j.pretrained;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.densenet4j.data.Downloader;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.torch.TorchFileWriter;
import org.densenet4j.torch.TorchTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path of {@code --model densenet121 --weights imagenet} against torchvision on the same weights and two
 * real photographs: a registry from a file replaces the imagenet entry with a local server's URL, and the file is
 * downloaded, verified, loaded, and the photos preprocessed and classified (scripts/make_pretrained_fixture.py).
 */
class PretrainedParityTest {

    private static final Path FIXTURE = Path.of("src/test/resources/pretrained-fixture/expected.json");
    private static final Path PHOTOS = Path.of("src/test/resources/resize-fixtures");

    @TempDir
    Path tmp;

    /** The zoo's artifact densenet121 with the filter dataset=imagenet, under the same settings (system properties). */
    private void djlZooGivesTheSame(Path registry, Map<String, Map<String, List<Double>>> images) throws IOException {
        System.setProperty("DENSENET4J_PRETRAINED", registry.toString());
        System.setProperty("DENSENET4J_CACHE", tmp.resolve("cache").toString());
        System.setProperty("TORCH_HOME", tmp.resolve("torch").toString());
        try {
            Criteria<Image, Classifications> criteria = Criteria.builder()
                    .setTypes(Image.class, Classifications.class)
                    .optGroupId("org.densenet4j")
                    .optArtifactId("densenet121")
                    .optFilter("dataset", "imagenet")
                    .build();
            try (ZooModel<Image, Classifications> model = criteria.loadModel();
                    Predictor<Image, Classifications> predictor = model.newPredictor()) {
                Map<String, List<Double>> china = images.get("china");
                Classifications c = predictor.predict(ImageFactory.getInstance().fromFile(PHOTOS.resolve("china.png")));
                Classifications.Classification best = c.best();
                assertEquals(
                        ImageNetClasses.names().get(china.get("indices").get(0).intValue()), best.getClassName());
                assertEquals(china.get("probabilities").get(0), best.getProbability(), 1e-4);
            }
        } catch (ai.djl.MalformedModelException
                | ai.djl.repository.zoo.ModelNotFoundException
                | ai.djl.translate.TranslateException e) {
            throw new AssertionError(e);
        } finally {
            System.clearProperty("DENSENET4J_PRETRAINED");
            System.clearProperty("DENSENET4J_CACHE");
            System.clearProperty("TORCH_HOME");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void givesTorchvisionsTopFiveWithImageNetNames() throws IOException {
        // Where libtorch's oneDNN misreads the CPU's caches it computes wrong convolutions and dies of SIGFPE planning
        // densenet121's (ConvolutionSelfCheck): nothing of densenet121's can be checked there.
        java.util.Optional<String> broken = org.densenet4j.infer.ConvolutionSelfCheck.failure();
        org.junit.jupiter.api.Assumptions.assumeTrue(broken.isEmpty(), () -> broken.orElse(""));
        Map<String, Object> expected = new Gson().fromJson(Files.readString(FIXTURE), Map.class);
        Path generated = tmp.resolve("generated.pth");
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, TorchTensor> stateDict = FixtureWeights.densenet121(manager);
            double sum = (Double) expected.get("sum");
            assertEquals(sum, FixtureWeights.sum(stateDict), 1e-6 * Math.abs(sum), "the generator is the script's");
            TorchFileWriter.write(stateDict, generated);
        }
        String digest = PretrainedWeights.sha256(generated);
        String name = "densenet121-" + digest.substring(0, 8) + ".pth";
        Path served = Files.move(generated, tmp.resolve(name));
        try (WeightsServer server = WeightsServer.serving(served)) {
            Path registry = tmp.resolve("mirror.json");
            Files.writeString(
                    registry,
                    "{\"weights\": [{\"model\": \"densenet121\", \"name\": \"imagenet\", \"url\": \""
                            + server.url(name) + "\", \"sha256\": \"" + digest.substring(0, 8) + "\", \"layout\": "
                            + "\"torchvision\", \"classes\": \"imagenet-1k\"}]}");
            PretrainedWeights weights = new PretrainedWeights(
                    PretrainedRegistry.builtIn().withFile(registry, "mirror"),
                    tmp.resolve("hub"),
                    tmp.resolve("cache"),
                    new Downloader());
            PretrainedEntry entry = weights.registry().find("densenet121", "imagenet");
            Path file = weights.fetch(entry, Downloader.Progress.NONE);
            try (NDManager manager = NDManager.newBaseManager()) {
                TrainedModel model = ModelFiles.open(file, ModelFiles.Options.of(entry, true), manager, w -> {});
                assertEquals("Resize(256) + CenterCrop(224)", model.spec().describePreprocessing());
                ImageClassifier classifier = new ImageClassifier(model, manager);
                Map<String, Map<String, List<Double>>> images =
                        (Map<String, Map<String, List<Double>>>) expected.get("images");
                for (Map.Entry<String, Map<String, List<Double>>> image : images.entrySet()) {
                    Classifications c = classifier.classify(ImageFiles.read(PHOTOS.resolve(image.getKey() + ".png")));
                    List<Classifications.Classification> top = c.topK(5);
                    for (int k = 0; k < 5; k++) {
                        int index = image.getValue().get("indices").get(k).intValue();
                        String where = image.getKey() + " top-" + (k + 1);
                        assertEquals(
                                ImageNetClasses.names().get(index), top.get(k).getClassName(), where);
                        assertEquals(
                                image.getValue().get("probabilities").get(k),
                                top.get(k).getProbability(),
                                1e-4,
                                where);
                    }
                }
            }
            assertEquals(file, weights.fetch(entry, Downloader.Progress.NONE));
            assertEquals(1, server.requests(), "the second use makes no request");
            djlZooGivesTheSame(registry, (Map<String, Map<String, List<Double>>>) expected.get("images"));
            assertEquals(1, server.requests(), "the zoo finds the cached file");
        }
    }
}
