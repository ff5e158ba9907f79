package org.densenet4j.io;

import java.util.Locale;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.StemType;

/**
 * What the generated TorchScript code of a DenseNet depends on, read once from its configuration: the stem, the layer
 * type, the concatenation order, the number of dense blocks and BN's epsilon as the code writes it.
 */
record CodeSettings(boolean imagenet, boolean bottleneck, boolean inputFirst, int blocks, String eps) {

    static CodeSettings of(DenseNetConfig config) {
        return new CodeSettings(
                config.stem() == StemType.IMAGENET,
                config.layerType() == LayerType.BOTTLENECK,
                config.concatOrder() == ConcatOrder.INPUT_FIRST,
                config.blockLayers().length,
                String.format(Locale.ROOT, "%s", (double) DenseNet.BN_EPSILON));
    }
}
