package org.densenet4j.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.TestNetworks;
import org.densenet4j.torch.TorchFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The features densenet4j extracts equal PyTorch's for the same weights and inputs (within 1e-4 of the largest):
 * torchvision's {@code flatten(adaptive_avg_pool2d(relu(model.features(x)), 1))} and the blog code's equivalent.
 */
class FeatureParityTest {

    static List<String> fixtures() {
        return TorchFixture.names();
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void featuresEqualPyTorchs(String name) throws Exception {
        TorchFixture f = TorchFixture.load(name);
        try (NDManager m = NDManager.newBaseManager()) {
            DenseNet net = f.network(m);
            NDArray expected = f.npy(m, "features.npy");
            NDArray actual = net.features(new ParameterStore(m, false), f.npy(m, "input.npy"));
            org.junit.jupiter.api.Assertions.assertEquals(expected.getShape(), actual.getShape());
            TestNetworks.assertClose(expected.toFloatArray(), actual.toFloatArray(), name + " features");
        }
    }
}
