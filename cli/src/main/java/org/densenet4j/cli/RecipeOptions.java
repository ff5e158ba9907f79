package org.densenet4j.cli;

import org.densenet4j.data.AugmentationKind;
import org.densenet4j.infer.Precision;
import org.densenet4j.model.Freeze;
import org.densenet4j.train.LearningRateSchedule;
import org.densenet4j.train.TrainingRecipe;
import org.densenet4j.train.TrainingStep;
import picocli.CommandLine.Option;

/** How {@code train} trains: the paper's recipe and each of its settings, and which training step. */
final class RecipeOptions {

    @Option(names = "--epochs", description = "Epochs (default: the main job's, sized for this machine).")
    Integer epochs;

    @Option(names = "--batch-size", defaultValue = "64", description = "Default: ${DEFAULT-VALUE} (paper).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.1", description = "Initial learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--momentum", defaultValue = "0.9", description = "Nesterov momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--weight-decay", defaultValue = "1e-4", description = "Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(
            names = "--schedule",
            defaultValue = "STEP",
            description = "${COMPLETION-CANDIDATES}: step divides by 10 at 50%% and 75%% (default: ${DEFAULT-VALUE}).")
    LearningRateSchedule schedule;

    @Option(
            names = "--dropout",
            defaultValue = "0",
            description = "Dropout after each conv (paper: 0.2 without " + "augmentation; default: ${DEFAULT-VALUE}).")
    float dropout;

    @Option(
            names = "--memory-efficient",
            description = "Recompute each dense layer in backward instead of keeping "
                    + "its activations: memory grows linearly with depth, at the cost of a second forward pass. Same "
                    + "gradients; needs --dropout 0.")
    boolean memoryEfficient;

    @Option(
            names = "--augment",
            paramLabel = "crop,flip|crop|flip|none",
            converter = AugmentationConverter.class,
            description = "Training augmentation: random crops (4-pixel-padded, or torchvision's random resized crop "
                    + "for ImageNet-sized models) and horizontal flips; leave out flips for images whose orientation "
                    + "matters (default: crop,flip).")
    AugmentationKind augment;

    @Option(names = "--no-augment", description = "Turn off random crops and flips (the same as --augment none).")
    boolean noAugment;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    /** --epochs, else {@code defaultEpochs}. */
    int epochs(int defaultEpochs) {
        return epochs != null ? epochs : defaultEpochs;
    }

    /** The recipe these options describe, with the fine-tuning and precision given elsewhere. */
    TrainingRecipe recipe(int epochCount, Freeze freeze, double backboneLrScale, Precision precision) {
        return new TrainingRecipe(epochCount, batchSize, learningRate, momentum, weightDecay, schedule, true, seed)
                .augmentedWith(augmentation())
                .fineTuning(freeze, backboneLrScale)
                .inPrecision(precision);
    }

    /** The plain step, or the memory-efficient one with --memory-efficient. */
    TrainingStep step() {
        return memoryEfficient ? TrainingStep.MEMORY_EFFICIENT : TrainingStep.PLAIN;
    }

    /** --augment, or none with --no-augment; both at once must agree. */
    AugmentationKind augmentation() {
        if (noAugment && augment != null && augment != AugmentationKind.NONE) {
            throw new IllegalArgumentException(
                    "--no-augment and --augment " + augment.cliName() + " disagree: give one");
        }
        return noAugment ? AugmentationKind.NONE : augment != null ? augment : AugmentationKind.CROP_FLIP;
    }

    /** Parses --augment; an unknown value is a usage error. */
    static final class AugmentationConverter extends ParsingConverter<AugmentationKind> {
        AugmentationConverter() {
            super(AugmentationKind::parse);
        }
    }
}
