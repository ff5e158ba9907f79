package org.densenet4j.torch;

import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.densenet4j.model.DenseBlock;
import org.densenet4j.model.DenseLayer;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.Transition;

/**
 * How PyTorch code names a DenseNet's parameters. DJL names parameters by block position, so
 * {@link #names} walks the network's stages once and each layout spells the names of what it meets.
 */
public enum TorchLayout {

    /** torchvision's {@code models.densenet}: {@code features.denseblock1.denselayer1.norm1.weight}, ... */
    TORCHVISION {
        @Override
        String stemConv() {
            return "features.conv0";
        }

        @Override
        String stemNorm(DenseNet net) {
            return "features.norm0";
        }

        @Override
        String layer(int block, int layer) {
            return "features.denseblock" + (block + 1) + ".denselayer" + (layer + 1);
        }

        @Override
        String norm() {
            return "norm";
        }

        @Override
        String transition(int block) {
            return "features.transition" + (block + 1);
        }

        @Override
        String headNorm() {
            return "features.norm5";
        }

        @Override
        String classifier() {
            return "classifier";
        }
    },

    /** The blog code and pytorch-cifar: {@code conv1}, {@code dense1.0.bn1}, {@code trans1.conv}, {@code linear}. */
    PYTORCH_CIFAR {
        @Override
        String stemConv() {
            return "conv1";
        }

        @Override
        String stemNorm(DenseNet net) {
            throw new IllegalArgumentException("the pytorch-cifar layout has no ImageNet stem; use the "
                    + "torchvision layout for " + net.config().stem() + " models");
        }

        @Override
        String layer(int block, int layer) {
            return "dense" + (block + 1) + "." + layer;
        }

        @Override
        String norm() {
            return "bn";
        }

        @Override
        String transition(int block) {
            return "trans" + (block + 1);
        }

        @Override
        String headNorm() {
            return "bn";
        }

        @Override
        String classifier() {
            return "linear";
        }
    };

    /** The stem convolution's prefix. */
    abstract String stemConv();

    /** The ImageNet stem's BN prefix; a layout without one says so. */
    abstract String stemNorm(DenseNet net);

    /** The prefix of dense layer {@code layer} of block {@code block}, both 0-based. */
    abstract String layer(int block, int layer);

    /** What this layout calls a BN inside layers and transitions: {@code norm} or {@code bn}. */
    abstract String norm();

    /** The prefix of the transition after block {@code block}, 0-based. */
    abstract String transition(int block);

    /** The final BN's prefix. */
    abstract String headNorm();

    /** The classifier's prefix. */
    abstract String classifier();

    /** The PyTorch key of every parameter and BN statistic of {@code net}, in state-dict order. */
    public Map<String, Parameter> names(DenseNet net) {
        Map<String, Parameter> m = new LinkedHashMap<>();
        String stemNorm = net.stem().norm() != null ? stemNorm(net) : null;
        conv(m, stemConv(), net.stem().conv());
        if (stemNorm != null) {
            norm(m, stemNorm, net.stem().norm());
        }
        for (int i = 0; i < net.denseBlocks().size(); i++) {
            DenseBlock block = net.denseBlocks().get(i);
            for (int j = 0; j < block.layers().size(); j++) {
                layer(m, layer(i, j), norm(), block.layers().get(j));
            }
            if (i < net.transitions().size()) {
                Transition t = net.transitions().get(i);
                norm(m, transition(i) + "." + norm(), t.norm());
                conv(m, transition(i) + ".conv", t.conv());
            }
        }
        norm(m, headNorm(), net.head().norm());
        linear(m, classifier(), net);
        return m;
    }

    /** torchvision's fix for pre-0.4 checkpoints, which named {@code norm1} as {@code norm.1}. */
    private static final Pattern LEGACY = Pattern.compile(
            "^(.*denselayer\\d+\\.(?:norm|relu|conv))\\.((?:[12])\\.(?:weight|bias|running_mean|running_var))$");

    /** The command-line name, such as {@code pytorch-cifar}. */
    public String cliName() {
        return name().toLowerCase().replace('_', '-');
    }

    /** Parses {@code torchvision} or {@code pytorch-cifar}. */
    public static TorchLayout parse(String name) {
        for (TorchLayout l : values()) {
            if (l.cliName().equals(name) || l.name().equalsIgnoreCase(name)) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown layout '" + name + "'; valid: torchvision, pytorch-cifar");
    }

    /**
     * A key as this layout's names spell it: without DataParallel's {@code module.} prefix and with
     * torchvision's legacy {@code norm.1} / {@code conv.2} names rewritten.
     */
    static String canonicalKey(String key) {
        String k = key.startsWith("module.") ? key.substring("module.".length()) : key;
        var m = LEGACY.matcher(k);
        return m.matches() ? m.group(1) + m.group(2) : k;
    }

    private static void layer(Map<String, Parameter> m, String prefix, String normName, DenseLayer layer) {
        norm(m, prefix + "." + normName + "1", layer.norm1());
        conv(m, prefix + ".conv1", layer.conv1());
        if (layer.isBottleneck()) {
            norm(m, prefix + "." + normName + "2", layer.norm2());
            conv(m, prefix + ".conv2", layer.conv2());
        }
    }

    private static void conv(Map<String, Parameter> m, String prefix, Conv2d conv) {
        m.put(prefix + ".weight", conv.getParameters().get("weight"));
    }

    private static void norm(Map<String, Parameter> m, String prefix, BatchNorm bn) {
        m.put(prefix + ".weight", bn.getParameters().get("gamma"));
        m.put(prefix + ".bias", bn.getParameters().get("beta"));
        m.put(prefix + ".running_mean", bn.getParameters().get("runningMean"));
        m.put(prefix + ".running_var", bn.getParameters().get("runningVar"));
    }

    private static void linear(Map<String, Parameter> m, String prefix, DenseNet net) {
        m.put(prefix + ".weight", net.head().classifier().getParameters().get("weight"));
        m.put(prefix + ".bias", net.head().classifier().getParameters().get("bias"));
    }
}
