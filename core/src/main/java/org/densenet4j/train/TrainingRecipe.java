package org.densenet4j.train;

import org.densenet4j.data.AugmentationKind;
import org.densenet4j.infer.Precision;
import org.densenet4j.model.Freeze;

/**
 * The settings of a training run; {@link #paper(int)} gives the paper's CIFAR recipe.
 *
 * @param epochs passes over the training set
 * @param batchSize images per step (paper: 64)
 * @param learningRate initial rate (paper: 0.1)
 * @param momentum Nesterov momentum (paper: 0.9)
 * @param weightDecay L2 penalty (paper: 1e-4)
 * @param schedule learning-rate schedule (paper: step at 50% and 75%)
 * @param augment the paper's "+" augmentation (random 4-pixel-padded crops and horizontal flips), or the parts of
 *     it that {@code augmentation} names
 * @param seed the seed every random choice derives from
 * @param freeze the pretrained part fine-tuning keeps fixed ({@link Freeze#NONE} from scratch)
 * @param backboneLrScale the learning rate of everything but the classifier, as a fraction of the classifier's
 *     (fine-tuning often gives the pretrained part a smaller one); 1 for one rate
 * @param precision fp32, or bf16 mixed precision: bfloat16 convolutions and classifier, float32 master weights,
 *     gradients, BN statistics and loss (as {@code torch.autocast("cpu", dtype=torch.bfloat16)})
 * @param augmentation which parts of the augmentation run: crops, flips, both or none (null: both when {@code
 *     augment}, as checkpoints written before the choice existed mean)
 */
public record TrainingRecipe(
        int epochs,
        int batchSize,
        double learningRate,
        double momentum,
        double weightDecay,
        LearningRateSchedule schedule,
        boolean augment,
        long seed,
        Freeze freeze,
        double backboneLrScale,
        Precision precision,
        AugmentationKind augmentation) {

    public TrainingRecipe {
        if (augmentation == null) {
            augmentation = augment ? AugmentationKind.CROP_FLIP : AugmentationKind.NONE;
        }
        augment = augmentation != AugmentationKind.NONE;
        // Checkpoints written before fine-tuning or mixed precision existed have none of these settings.
        if (freeze == null) {
            freeze = Freeze.NONE;
        }
        if (precision == null) {
            precision = Precision.FP32;
        }
        if (backboneLrScale == 0) {
            backboneLrScale = 1;
        }
        check(precision != Precision.INT8, "int8 is for inference (predict, eval, bench): train in fp32 or bf16");
        check(epochs > 0, "epochs must be positive, got " + epochs);
        check(batchSize > 0, "batch size must be positive, got " + batchSize);
        check(learningRate > 0 && Double.isFinite(learningRate), "learning rate must be positive, got " + learningRate);
        check(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got " + momentum);
        check(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
        check(schedule != null, "schedule must be set");
        check(
                backboneLrScale > 0 && Double.isFinite(backboneLrScale),
                "backbone learning-rate scale must be positive, got " + backboneLrScale);
    }

    /** A recipe that trains every parameter at one rate. */
    public TrainingRecipe(
            int epochs,
            int batchSize,
            double learningRate,
            double momentum,
            double weightDecay,
            LearningRateSchedule schedule,
            boolean augment,
            long seed) {
        this(
                epochs,
                batchSize,
                learningRate,
                momentum,
                weightDecay,
                schedule,
                augment,
                seed,
                Freeze.NONE,
                1,
                null,
                null);
    }

    /** This recipe fine-tuning with {@code freeze} and {@code backboneLrScale}. */
    public TrainingRecipe fineTuning(Freeze freeze, double backboneLrScale) {
        return with(freeze, backboneLrScale, precision, augmentation);
    }

    /** This recipe computing in {@code precision}. */
    public TrainingRecipe inPrecision(Precision precision) {
        return with(freeze, backboneLrScale, precision, augmentation);
    }

    /** This recipe augmenting with {@code augmentation}'s parts only. */
    public TrainingRecipe augmentedWith(AugmentationKind augmentation) {
        return with(freeze, backboneLrScale, precision, augmentation);
    }

    private TrainingRecipe with(
            Freeze freeze, double backboneLrScale, Precision precision, AugmentationKind augmentation) {
        return new TrainingRecipe(
                epochs,
                batchSize,
                learningRate,
                momentum,
                weightDecay,
                schedule,
                augment,
                seed,
                freeze,
                backboneLrScale,
                precision,
                augmentation);
    }

    /** The recipe's optimizer: Nesterov SGD at its initial learning rate, momentum and weight decay. */
    public NesterovSgd optimizer() {
        return NesterovSgd.builder()
                .optLearningRate((float) learningRate)
                .optMomentum((float) momentum)
                .optWeightDecays((float) weightDecay)
                .build();
    }

    /** The paper's recipe for {@code epochs} epochs (300 for CIFAR), with augmentation. */
    public static TrainingRecipe paper(int epochs) {
        return new TrainingRecipe(epochs, 64, 0.1, 0.9, 1e-4, LearningRateSchedule.STEP, true, 42);
    }

    /** The learning rate for a 0-based epoch. */
    public double learningRate(int epoch) {
        return schedule.rate(learningRate, epoch, epochs);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
