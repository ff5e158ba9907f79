package org.densenet4j.model;

import java.util.Arrays;

/**
 * A named DenseNet: architecture settings as plain data, plus the input it was designed for.
 *
 * @param name the name the command line accepts, such as {@code densenet121}
 * @param family where the preset comes from (ImageNet, the paper's CIFAR models, the blog code)
 * @param growthRate k
 * @param blockLayers dense layers per block
 * @param layerType basic or bottleneck layers
 * @param compression theta
 * @param stem the stem type
 * @param stemWidth stem channels, or 0 for the paper's default
 * @param concatOrder where new features go in the concatenation
 * @param defaultClasses class count of the original model
 * @param inputSize side of the square colour images it was designed for
 */
public record Preset(
        String name,
        Family family,
        int growthRate,
        int[] blockLayers,
        LayerType layerType,
        double compression,
        StemType stem,
        int stemWidth,
        ConcatOrder concatOrder,
        int defaultClasses,
        int inputSize) {

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
        blockLayers = blockLayers.clone();
    }

    @Override
    public int[] blockLayers() {
        return blockLayers.clone();
    }

    /** The preset's configuration with its default class count. */
    public DenseNetConfig config() {
        return config(defaultClasses);
    }

    /** The preset's configuration with {@code classes} outputs. */
    public DenseNetConfig config(int classes) {
        return builder().optClasses(classes).build();
    }

    /** A builder holding the preset, to change class count, input channels or dropout. */
    public DenseNetConfig.Builder builder() {
        DenseNetConfig.Builder b = DenseNetConfig.builder()
                .setGrowthRate(growthRate)
                .setBlockLayers(blockLayers)
                .optLayerType(layerType)
                .optCompression(compression)
                .optStem(stem)
                .optConcatOrder(concatOrder)
                .optClasses(defaultClasses);
        return stemWidth > 0 ? b.optStemWidth(stemWidth) : b;
    }

    /** The designed input as {C, H, W}. */
    public int[] inputShape() {
        return new int[] {3, inputSize, inputSize};
    }

    @Override
    public String toString() {
        return name + " (k=" + growthRate + ", blocks " + Arrays.toString(blockLayers) + ")";
    }
}
