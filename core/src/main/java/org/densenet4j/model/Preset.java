package org.densenet4j.model;

/**
 * A named DenseNet, timm-style: the architecture as a {@link DenseNetConfig} (with the original model's class
 * count), kept apart from the metadata of the weights it was published with: the input it was designed for
 * and the per-channel normalisation of that input.
 *
 * @param name the name the command line accepts, such as {@code densenet121}
 * @param family where the preset comes from (ImageNet, the paper's CIFAR models, the blog code)
 * @param config the architecture, for colour input and the original class count
 * @param inputSize side of the square colour images it was designed for
 * @param mean per-channel (RGB) mean its weights expect, as fractions of full scale
 * @param std per-channel (RGB) standard deviation its weights expect
 */
public record Preset(String name, Family family, DenseNetConfig config, int inputSize, float[] mean, float[] std) {

    /** torchvision's ImageNet preprocessing. */
    static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};

    static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    /** pytorch-cifar's CIFAR-10 preprocessing, which the blog code and the paper's CIFAR models use. */
    static final float[] CIFAR_MEAN = {0.4914f, 0.4822f, 0.4465f};

    static final float[] CIFAR_STD = {0.2023f, 0.1994f, 0.2010f};

    /** Where a preset comes from. */
    public enum Family {
        /** torchvision's and the paper's ImageNet models (Table 1). */
        IMAGENET("ImageNet (paper Table 1, torchvision)"),
        /** The paper's CIFAR/SVHN models, DenseNet and DenseNet-BC (L, k). */
        PAPER_CIFAR("CIFAR (paper Table 2)"),
        /** The blog code's (and pytorch-cifar's) 4-block models for 32x32 inputs, new features first. */
        BLOG_CIFAR("CIFAR (blog code / pytorch-cifar)");

        private final String description;

        Family(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    public Preset {
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

    /** The original model's class count. */
    public int defaultClasses() {
        return config.classes();
    }

    /** The preset's configuration with {@code classes} outputs. */
    public DenseNetConfig config(int classes) {
        return builder().optClasses(classes).build();
    }

    /** A builder holding the preset, to change class count, input channels or dropout. */
    public DenseNetConfig.Builder builder() {
        return config.toBuilder();
    }

    /** The designed input as {C, H, W}. */
    public int[] inputShape() {
        return new int[] {3, inputSize, inputSize};
    }

    @Override
    public String toString() {
        return name + " (k=" + config.growthRate() + ", blocks " + java.util.Arrays.toString(config.blockLayers())
                + ")";
    }
}
