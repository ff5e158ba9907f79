package org.densenet4j.model;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The one list of DenseNet families the tests run every implementation on: one small network of each kind densenet4j
 * builds (ImageNet stem, the paper's CIFAR DenseNet on grey images, DenseNet-BC, the blog code's concatenation order).
 * The golden archives under {@code script/golden} were written for these families, in this order.
 */
public final class TestFamilies {

    private TestFamilies() {}

    /**
     * One family, with the input it is tested on.
     *
     * @param name how a test report names it
     * @param side the height and width of its test images
     * @param classes its classifier's outputs
     */
    public record Family(
            String name, LayerType layerType, ConcatOrder order, StemType stem, int channels, int side, int classes) {

        /** Its network: {@link TestNetworks#small} of this family. */
        public DenseNetConfig config() {
            return TestNetworks.small(layerType, order, stem, channels, classes);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Every family, in the golden archives' order. */
    public static List<Family> all() {
        return List.of(
                new Family("ImageNet stem", LayerType.BOTTLENECK, ConcatOrder.INPUT_FIRST, StemType.IMAGENET, 3, 48, 5),
                new Family(
                        "paper CIFAR DenseNet, grey",
                        LayerType.BASIC,
                        ConcatOrder.INPUT_FIRST,
                        StemType.CIFAR,
                        1,
                        28,
                        10),
                new Family(
                        "paper CIFAR DenseNet-BC",
                        LayerType.BOTTLENECK,
                        ConcatOrder.INPUT_FIRST,
                        StemType.CIFAR,
                        3,
                        32,
                        7),
                new Family(
                        "blog code, new features first",
                        LayerType.BOTTLENECK,
                        ConcatOrder.NEW_FEATURES_FIRST,
                        StemType.CIFAR,
                        3,
                        32,
                        10));
    }

    /**
     * Every family as the arguments of a parameterized test: name, layer type, concatenation order, stem, channels,
     * side, classes.
     */
    public static Stream<Arguments> arguments() {
        return all().stream()
                .map(f -> Arguments.of(
                        f.name(), f.layerType(), f.order(), f.stem(), f.channels(), f.side(), f.classes()));
    }
}
