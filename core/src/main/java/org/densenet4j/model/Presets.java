package org.densenet4j.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registry of named DenseNets: torchvision's ImageNet models, the paper's CIFAR models in their
 * general {@code densenet-L-k} and {@code densenet-bc-L-k} forms, and the blog code's CIFAR models.
 */
public final class Presets {

    private static final Pattern PAPER_CIFAR = Pattern.compile("densenet-(bc-)?(\\d+)-(\\d+)");

    private static final Map<String, Preset> NAMED = new LinkedHashMap<>();

    static {
        // torchvision's _densenet(arch, growth_rate, block_config, num_init_features).
        imagenet("densenet121", 32, new int[] {6, 12, 24, 16}, 64);
        imagenet("densenet169", 32, new int[] {6, 12, 32, 32}, 64);
        imagenet("densenet201", 32, new int[] {6, 12, 48, 32}, 64);
        imagenet("densenet161", 48, new int[] {6, 12, 36, 24}, 96);
        imagenet("densenet264", 32, new int[] {6, 12, 64, 48}, 64);
        // The paper's Table 2 rows, all instances of the general forms.
        for (String name : List.of(
                "densenet-40-12",
                "densenet-100-12",
                "densenet-100-24",
                "densenet-bc-100-12",
                "densenet-bc-250-24",
                "densenet-bc-190-40")) {
            NAMED.put(name, paperCifar(name));
        }
        // The blog code's DenseNet121/169/201/161 and densenet_cifar (pytorch-cifar).
        blogCifar("cifar-densenet121", 32, new int[] {6, 12, 24, 16});
        blogCifar("cifar-densenet169", 32, new int[] {6, 12, 32, 32});
        blogCifar("cifar-densenet201", 32, new int[] {6, 12, 48, 32});
        blogCifar("cifar-densenet161", 48, new int[] {6, 12, 36, 24});
        blogCifar("cifar-densenet", 12, new int[] {6, 12, 24, 16});
    }

    private Presets() {}

    private static void imagenet(String name, int k, int[] blocks, int stemWidth) {
        DenseNetConfig config = DenseNetConfig.builder()
                .setGrowthRate(k)
                .setBlockLayers(blocks)
                .optLayerType(LayerType.BOTTLENECK)
                .optCompression(0.5)
                .optStem(StemType.IMAGENET)
                .optStemWidth(stemWidth)
                .optClasses(1000)
                .build();
        NAMED.put(
                name, new Preset(name, Preset.Family.IMAGENET, config, 224, Preset.IMAGENET_MEAN, Preset.IMAGENET_STD));
    }

    private static void blogCifar(String name, int k, int[] blocks) {
        DenseNetConfig config = DenseNetConfig.builder()
                .setGrowthRate(k)
                .setBlockLayers(blocks)
                .optLayerType(LayerType.BOTTLENECK)
                .optCompression(0.5)
                .optStem(StemType.CIFAR)
                .optStemWidth(2 * k)
                .optConcatOrder(ConcatOrder.NEW_FEATURES_FIRST)
                .optClasses(10)
                .build();
        NAMED.put(name, new Preset(name, Preset.Family.BLOG_CIFAR, config, 32, Preset.CIFAR_MEAN, Preset.CIFAR_STD));
    }

    /**
     * The paper's CIFAR models: 3 dense blocks of equal depth. L counts the stem conv, the two
     * transition convs, the linear layer and the convs of the dense layers: L = 3n + 4 for basic
     * layers and L = 6n + 4 for bottleneck layers, n layers per block.
     */
    private static Preset paperCifar(String name) {
        Matcher m = PAPER_CIFAR.matcher(name);
        if (!m.matches()) {
            return null;
        }
        boolean bc = m.group(1) != null;
        int depth = parse(m.group(2), "depth L", name);
        int k = parse(m.group(3), "growth rate k", name);
        int convsPerLayer = bc ? 2 : 1;
        int perBlock = 3 * convsPerLayer;
        if (depth < 4 + perBlock || (depth - 4) % perBlock != 0) {
            throw new IllegalArgumentException("depth L=" + depth + " in '" + name + "' is not a "
                    + (bc ? "DenseNet-BC" : "DenseNet") + " depth: L must be " + perBlock
                    + "n + 4 with n >= 1 (for example " + (perBlock + 4) + ", " + (2 * perBlock + 4)
                    + ", 100)");
        }
        if (k <= 0) {
            throw new IllegalArgumentException("growth rate k=" + k + " in '" + name + "' must be a positive integer");
        }
        int n = (depth - 4) / perBlock;
        DenseNetConfig config = DenseNetConfig.builder()
                .setGrowthRate(k)
                .setBlockLayers(n, n, n)
                .optLayerType(bc ? LayerType.BOTTLENECK : LayerType.BASIC)
                .optCompression(bc ? 0.5 : 1.0)
                .optStem(StemType.CIFAR)
                .optClasses(10)
                .build();
        return new Preset(name, Preset.Family.PAPER_CIFAR, config, 32, Preset.CIFAR_MEAN, Preset.CIFAR_STD);
    }

    private static int parse(String digits, String what, String name) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " in '" + name + "' is too large");
        }
    }

    /**
     * Returns the preset with this name, including any {@code densenet-L-k} or {@code densenet-bc-L-k}.
     *
     * @throws IllegalArgumentException for an unknown name, listing the valid ones
     */
    public static Preset named(String name) {
        Preset preset = NAMED.get(name);
        if (preset == null && name != null) {
            preset = paperCifar(name);
        }
        if (preset == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; valid models: "
                    + String.join(", ", names()) + ", densenet-L-k, densenet-bc-L-k");
        }
        return preset;
    }

    /** The names of the registered presets, in a stable order (general forms not included). */
    public static List<String> names() {
        return List.copyOf(NAMED.keySet());
    }

    /** All registered presets, in the order of {@link #names()}. */
    public static List<Preset> all() {
        return Collections.unmodifiableList(List.copyOf(NAMED.values()));
    }
}
