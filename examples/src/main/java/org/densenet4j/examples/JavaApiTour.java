package org.densenet4j.examples;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import javax.imageio.ImageIO;
import java.nio.file.Path;
import org.densenet4j.data.DatasetLocator;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.infer.Explainer;
import org.densenet4j.infer.Explanation;
import org.densenet4j.infer.ExplanationPicture;
import org.densenet4j.infer.ImageClassifier;
import org.densenet4j.infer.Precision;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.FoldedDenseNet;
import org.densenet4j.train.DenseNetTrainer;
import org.densenet4j.train.TrainingRecipe;
import org.densenet4j.train.TrainingResult;
import org.densenet4j.train.TrainingStep;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;

/**
 * The Java API tour of docs/library.md: build DenseNets, train one on Fashion-MNIST (a small slice, so that it runs
 * in seconds), and classify with the result.
 *
 * <p>Usage: {@code JavaApiTour IMAGE}.
 */
public final class JavaApiTour {

    private JavaApiTour() {}

    public static void main(String[] args) throws Exception {
        Path image = Path.of(args[0]);
        Path runs = Files.createTempDirectory("densenet4j-examples");

        // A preset as a DJL Block with 10 classes.
        DenseNet net = DenseNet.preset("densenet121", 10);

        // Or any DenseNet from its settings.
        DenseNetConfig config = DenseNetConfig.builder()
                .setGrowthRate(12).setBlockLayers(16, 16, 16)
                .optCompression(0.5).optInputChannels(1).optClasses(10).build();
        DenseNet custom = new DenseNet(config);

        // Train with the paper's recipe and get a result back (one epoch on 256 images here; the paper's
        // CIFAR run is TrainingRecipe.paper(300) on all of them). Progress is logged through SLF4J.
        DatasetSplits data = DatasetLocator.standard().load("fashion-mnist", null).limit(256, 256);
        TrainingResult result = new DenseNetTrainer(TrainingRecipe.paper(1), runs.resolve("fm"), null)
                .train("densenet-bc-100-12", config, data, false);

        // The same training with the memory-efficient step (same gradients, memory linear in depth).
        new DenseNetTrainer(TrainingRecipe.paper(1), runs.resolve("fm-me"), null, TrainingStep.MEMORY_EFFICIENT)
                .train("densenet-bc-100-12", config, data, false);

        // In bf16 mixed precision where the CPU has it (avx512_bf16 or amx_bf16): bfloat16 convolutions,
        // float32 weights, gradients and checkpoint.
        if (Precision.BF16.isSupported()) {
            new DenseNetTrainer(TrainingRecipe.paper(1).inPrecision(Precision.BF16), runs.resolve("fm-bf16"), null)
                    .train("densenet-bc-100-12", config, data, false);
        }

        // Classify images into DJL Classifications (ImageClassifier folds the network itself).
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel model = ModelFiles.open(result.checkpoint(), manager); // a .d4j, or a .pth with options
            ImageClassifier classifier = new ImageClassifier(model, manager);
            Classifications c = classifier.classify(image); // an unreadable file fails naming it

            // Where the network looked: the class activation map of its top class, drawn over the image.
            Explainer explainer = new Explainer(model, manager);
            BufferedImage picture = ImageIO.read(image.toFile());
            Explanation why = explainer.explain(picture, "top", Explainer.Method.CAM, explainer.blocks());
            ImageIO.write(ExplanationPicture.draw(picture, why), "png", runs.resolve("why.png").toFile());

            // Or logits for a normalised batch through the folded inference network (a snapshot of the weights).
            FoldedDenseNet folded = FoldedDenseNet.of(model.network(), manager);
            NDArray logits = folded.forward(new ParameterStore(manager, false),
                    new NDList(manager.randomNormal(new Shape(8, 1, 28, 28))), false).singletonOrThrow();

            System.out.println(net.config().blockLayers().length + " dense blocks in densenet121; "
                    + custom.config().growthRate() + " new feature maps per layer in the custom DenseNet");
            System.out.println("after 1 epoch on 256 images: test top-1 "
                    + result.finalEvaluation().top1() + ", " + image.getFileName() + ": " + c.best());
            System.out.println("folded logits " + logits.getShape());
            int[] peak = why.peakInImage(picture.getWidth(), picture.getHeight());
            System.out.println("the map of " + why.label() + " peaks at (" + peak[0] + ", " + peak[1] + "): "
                    + runs.resolve("why.png"));
        }
    }
}
