package org.densenet4j.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.densenet4j.base.TerminalText;

/**
 * An immutable description of one DenseNet: everything needed to build it, nothing else.
 *
 * <p>Create one with {@link #builder()}; the builder checks every setting and names the value and
 * what is allowed when one is wrong.
 */
public final class DenseNetConfig {

    /** The most channels any stage may output. */
    public static final int MAX_CHANNELS = 1 << 20;

    /**
     * The most dense blocks a network may have: the paper's have three or four; the bound keeps a hostile description
     * from making every check that walks the blocks slow.
     */
    public static final int MAX_BLOCKS = 1024;

    private final int growthRate;
    private final int[] blockLayers;
    private final LayerType layerType;
    private final int bottleneckWidth;
    private final double compression;
    private final float dropRate;
    private final StemType stem;
    private final int stemWidth;
    private final int inputChannels;
    private final int classes;
    private final ConcatOrder concatOrder;

    private DenseNetConfig(Builder b) {
        this.growthRate = b.growthRate;
        this.blockLayers = b.blockLayers.clone();
        this.layerType = b.layerType;
        this.bottleneckWidth = b.bottleneckWidth;
        this.compression = b.compression;
        this.dropRate = b.dropRate;
        this.stem = b.stem;
        this.stemWidth = b.stemWidth > 0 ? b.stemWidth : defaultStemWidth(b);
        this.inputChannels = b.inputChannels;
        this.classes = b.classes;
        this.concatOrder = b.concatOrder;
    }

    /** The paper's rule: 2k for ImageNet and BC models, 16 for the original CIFAR DenseNet. */
    private static int defaultStemWidth(Builder b) {
        boolean bc = b.layerType == LayerType.BOTTLENECK && b.compression < 1.0;
        return b.stem == StemType.IMAGENET || bc ? 2 * b.growthRate : 16;
    }

    /** Returns a builder with the paper's defaults (bottleneck width 4, theta 1, CIFAR stem). */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder holding this configuration, to derive a variant (other classes, dropout). */
    public Builder toBuilder() {
        Builder b = new Builder();
        for (Setting setting : SETTINGS) {
            setting.set().accept(b, setting.get().apply(this));
        }
        return b;
    }

    /** Growth rate k: the feature maps each dense layer adds. */
    public int growthRate() {
        return growthRate;
    }

    /** Number of dense layers in each dense block, first block first. */
    public int[] blockLayers() {
        return blockLayers.clone();
    }

    public LayerType layerType() {
        return layerType;
    }

    /** The bottleneck's 1x1 conv outputs bottleneckWidth*k channels (bn_size in torchvision). */
    public int bottleneckWidth() {
        return bottleneckWidth;
    }

    /** Compression theta: a transition keeps floor(theta*m) of its m input channels. */
    public double compression() {
        return compression;
    }

    /** Dropout rate after each convolution of dense layers and transitions; 0 disables it. */
    public float dropRate() {
        return dropRate;
    }

    public StemType stem() {
        return stem;
    }

    /** Output channels of the stem convolution. */
    public int stemWidth() {
        return stemWidth;
    }

    /** 1 for grey images, 3 for colour. */
    public int inputChannels() {
        return inputChannels;
    }

    public int classes() {
        return classes;
    }

    public ConcatOrder concatOrder() {
        return concatOrder;
    }

    /**
     * How many numbers the network stores (conv and linear weights, the classifier's bias, and each BN's
     * scale, shift, running mean and running variance), counted from the settings alone. Reading a file
     * compares this with the values the file really holds before building anything, so that a description
     * claiming a huge network cannot make us allocate it. Computed in floating point: a hostile setting
     * cannot overflow it. {@code DenseNetConfigValidationTest} pins it to the built networks.
     */
    public double storedValues() {
        double k = growthRate;
        double values = (double) inputChannels * stemWidth * (stem == StemType.IMAGENET ? 7 * 7 : 3 * 3)
                + (stem == StemType.IMAGENET ? 4.0 * stemWidth : 0);
        double channels = stemWidth;
        for (int b = 0; b < blockLayers.length; b++) {
            // Layer j of n sees channels + j*k inputs; summed in closed form, so that a hostile layer count
            // costs no loop.
            double n = blockLayers[b];
            double inputs = n * channels + k * n * (n - 1) / 2;
            values += 4 * inputs; // each layer's norm1
            if (layerType == LayerType.BOTTLENECK) {
                double width = (double) bottleneckWidth * k;
                values += inputs * width + n * (4 * width + width * k * 3 * 3);
            } else {
                values += inputs * k * 3 * 3;
            }
            channels += blockLayers[b] * k;
            if (b < blockLayers.length - 1) {
                double out = Math.floor(compression * channels);
                values += 4 * channels + channels * out;
                channels = out;
            }
        }
        return values + 4 * channels + channels * classes + classes;
    }

    /** Output channels of a transition with m input channels: floor(theta*m). */
    public int transitionWidth(int m) {
        return (int) Math.floor(compression * m);
    }

    /** The side of the feature maps after the stem for an input side of {@code size}. */
    public int sizeAfterStem(int size) {
        return stem.outputSize(size);
    }

    /** The side of the final feature maps (before global pooling) for an input side of {@code size}. */
    public int finalFeatureSize(int size) {
        int s = sizeAfterStem(size);
        for (int i = 1; i < blockLayers.length; i++) {
            s /= 2; // each transition's 2x2 average pool with stride 2
        }
        return s;
    }

    /** The smallest input height and width this network accepts. */
    public int minimumInputSize() {
        int size = 1;
        while (finalFeatureSize(size) < 1) {
            size++;
        }
        return size;
    }

    /**
     * Checks that an input of the given side length can pass through the network.
     *
     * @throws IllegalArgumentException naming the size and the minimum
     */
    public void checkInputSize(long height, long width) {
        int min = minimumInputSize();
        if (height < min || width < min) {
            throw new IllegalArgumentException(
                    "input " + height + "x" + width + " is too small for this network: it needs at least "
                            + min + "x" + min + " (" + stem.name().toLowerCase() + " stem and "
                            + (blockLayers.length - 1) + " transitions)");
        }
    }

    /**
     * One setting: its name in descriptions, how to read it as plain data, and how to give it to a builder. The
     * description, {@link #fromDescription}, {@link #toBuilder()} and {@link #equals} all derive from
     * {@link #SETTINGS}, so a setting is listed once; a test checks that no field is missing from it.
     */
    private record Setting(String name, Function<DenseNetConfig, Object> get, BiConsumer<Builder, Object> set) {}

    private static final List<Setting> SETTINGS = List.of(
            new Setting("growthRate", c -> c.growthRate, (b, v) -> b.setGrowthRate(integer(v))),
            new Setting(
                    "blockLayers",
                    c -> Arrays.stream(c.blockLayers).boxed().collect(Collectors.toList()),
                    (b, v) -> b.setBlockLayers(((List<?>) v)
                            .stream().mapToInt(DenseNetConfig::integer).toArray())),
            new Setting("layerType", c -> c.layerType.name(), (b, v) -> b.optLayerType(LayerType.valueOf((String) v))),
            new Setting("bottleneckWidth", c -> c.bottleneckWidth, (b, v) -> b.optBottleneckWidth(integer(v))),
            new Setting("compression", c -> c.compression, (b, v) -> b.optCompression(((Number) v).doubleValue())),
            new Setting("dropRate", c -> c.dropRate, (b, v) -> b.optDropRate(((Number) v).floatValue())),
            new Setting("stem", c -> c.stem.name(), (b, v) -> b.optStem(StemType.valueOf((String) v))),
            new Setting("stemWidth", c -> c.stemWidth, (b, v) -> b.optStemWidth(integer(v))),
            new Setting("inputChannels", c -> c.inputChannels, (b, v) -> b.optInputChannels(integer(v))),
            new Setting("classes", c -> c.classes, (b, v) -> b.optClasses(integer(v))),
            new Setting(
                    "concatOrder",
                    c -> c.concatOrder.name(),
                    (b, v) -> b.optConcatOrder(ConcatOrder.valueOf((String) v))));

    private static int integer(Object value) {
        return ((Number) value).intValue();
    }

    /** The settings as ordered name-value pairs, for summaries, checkpoints and model cards. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Setting setting : SETTINGS) {
            m.put(setting.name(), setting.get().apply(this));
        }
        return m;
    }

    /** Rebuilds a configuration from {@link #describe()}'s map (for example read back from JSON). */
    public static DenseNetConfig fromDescription(Map<String, ?> m) {
        Builder b = builder();
        for (Setting setting : SETTINGS) {
            Object value = m.get(setting.name());
            if (value == null) {
                throw new IllegalArgumentException(
                        "incomplete model description: no " + setting.name() + " in " + TerminalText.excerpt(m, 200));
            }
            try {
                setting.set().accept(b, value);
            } catch (ClassCastException | IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "malformed model description: " + setting.name() + " = " + TerminalText.excerpt(value, 40)
                                + " in " + TerminalText.excerpt(m, 200),
                        e);
            }
        }
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DenseNetConfig other)) {
            return false;
        }
        for (Setting setting : SETTINGS) {
            if (!Objects.equals(setting.get().apply(this), setting.get().apply(other))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(describe());
    }

    @Override
    public String toString() {
        return "DenseNetConfig" + describe();
    }

    /** Builds a {@link DenseNetConfig}: {@code set*} for required settings, {@code opt*} for the rest. */
    public static final class Builder {
        private int growthRate;
        private int[] blockLayers;
        private LayerType layerType = LayerType.BOTTLENECK;
        private int bottleneckWidth = 4;
        private double compression = 1.0;
        private float dropRate;
        private StemType stem = StemType.CIFAR;
        private int stemWidth;
        private int inputChannels = 3;
        private int classes = 10;
        private ConcatOrder concatOrder = ConcatOrder.INPUT_FIRST;

        private Builder() {}

        /** Required: the growth rate k, at least 1. */
        public Builder setGrowthRate(int growthRate) {
            this.growthRate = growthRate;
            return this;
        }

        /** Required: dense layers per block, for example {@code 6, 12, 24, 16} for DenseNet-121. */
        public Builder setBlockLayers(int... blockLayers) {
            this.blockLayers = blockLayers.clone();
            return this;
        }

        public Builder optLayerType(LayerType layerType) {
            this.layerType = Objects.requireNonNull(layerType, "layerType");
            return this;
        }

        public Builder optBottleneckWidth(int bottleneckWidth) {
            this.bottleneckWidth = bottleneckWidth;
            return this;
        }

        /** Compression theta in (0, 1]; 1 keeps every channel in transitions. */
        public Builder optCompression(double compression) {
            this.compression = compression;
            return this;
        }

        /** Dropout rate in [0, 1); the paper uses 0.2 when training without augmentation. */
        public Builder optDropRate(float dropRate) {
            this.dropRate = dropRate;
            return this;
        }

        public Builder optStem(StemType stem) {
            this.stem = Objects.requireNonNull(stem, "stem");
            return this;
        }

        /** Stem output channels; left unset, it follows the paper (2k, or 16 for plain CIFAR DenseNets). */
        public Builder optStemWidth(int stemWidth) {
            this.stemWidth = stemWidth;
            return this;
        }

        public Builder optInputChannels(int inputChannels) {
            this.inputChannels = inputChannels;
            return this;
        }

        public Builder optClasses(int classes) {
            this.classes = classes;
            return this;
        }

        public Builder optConcatOrder(ConcatOrder concatOrder) {
            this.concatOrder = Objects.requireNonNull(concatOrder, "concatOrder");
            return this;
        }

        /**
         * Validates the settings and returns the configuration.
         *
         * @throws IllegalArgumentException naming the first wrong value and what is allowed
         */
        public DenseNetConfig build() {
            require(growthRate > 0, "growth rate k must be a positive integer, got " + growthRate);
            require(
                    blockLayers != null && blockLayers.length > 0,
                    "block layers must list at least one dense block, got " + (blockLayers == null ? "none" : "[]"));
            require(
                    blockLayers.length <= MAX_BLOCKS,
                    "block layers list " + blockLayers.length + " dense blocks; at most " + MAX_BLOCKS
                            + " are allowed");
            for (int n : blockLayers) {
                if (n <= 0) { // the message is built only when it is needed: the list may be long
                    require(
                            false,
                            "every dense block needs at least one layer, got block layers "
                                    + Arrays.toString(blockLayers));
                }
            }
            require(compression > 0 && compression <= 1, "compression theta must be in (0, 1], got " + compression);
            require(dropRate >= 0 && dropRate < 1, "drop rate must be in [0, 1), got " + dropRate);
            require(bottleneckWidth > 0, "bottleneck width must be a positive integer, got " + bottleneckWidth);
            require(stemWidth >= 0, "stem width must be a positive integer, got " + stemWidth);
            require(
                    inputChannels == 1 || inputChannels == 3,
                    "input channels must be 1 (grey) or 3 (colour), got " + inputChannels);
            require(classes > 0, "classes must be a positive integer, got " + classes);
            DenseNetConfig config = new DenseNetConfig(this);
            long channels = config.stemWidth;
            for (int i = 0; i < blockLayers.length; i++) {
                channels += (long) blockLayers[i] * growthRate;
                // Far beyond any DenseNet (densenet-bc-190-40 peaks at 2,740), and within int arithmetic.
                require(
                        channels <= MAX_CHANNELS,
                        "dense block " + (i + 1) + " would output " + channels
                                + " channels; at most " + MAX_CHANNELS + " are supported (growth rate " + growthRate
                                + ", block layers " + Arrays.toString(blockLayers) + ")");
                if (i < blockLayers.length - 1) {
                    channels = config.transitionWidth((int) channels);
                    require(
                            channels > 0,
                            "compression " + compression + " leaves transition " + (i + 1)
                                    + " with no channels; use a larger theta");
                }
            }
            return config;
        }

        private static void require(boolean condition, String message) {
            if (!condition) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
