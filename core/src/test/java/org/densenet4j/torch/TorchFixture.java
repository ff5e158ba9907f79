package org.densenet4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.densenet4j.io.NpyFile;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;

/** One reference fixture written by scripts/make_torch_fixtures.py with PyTorch 1.13. */
public record TorchFixture(String name, Path dir, DenseNetConfig config, TorchLayout layout) {

    public static final Path ROOT = Path.of("src/test/resources/torch-fixtures");

    public static List<String> names() {
        return List.of("torchvision-small", "torchvision-legacy-keys", "pytorch-cifar", "pytorch-cifar-dataparallel");
    }

    @SuppressWarnings("unchecked")
    public static TorchFixture load(String name) throws IOException {
        Path dir = ROOT.resolve(name);
        Map<String, Object> m = new Gson().fromJson(Files.readString(dir.resolve("fixture.json")), Map.class);
        m.put("layerType", "BOTTLENECK");
        m.put("dropRate", 0.0);
        m.put("inputChannels", 3);
        DenseNetConfig config = DenseNetConfig.fromDescription(m);
        return new TorchFixture(name, dir, config, TorchLayout.parse((String) m.get("layout")));
    }

    public Path weights() {
        return dir.resolve("weights.pth");
    }

    public NDArray npy(NDManager manager, String file) throws IOException {
        return NpyFile.read(dir.resolve(file), manager);
    }

    /** A network with the fixture's weights loaded, in inference mode by default. */
    public DenseNet network(NDManager manager) throws IOException {
        DenseNet net = new DenseNet(config);
        NDArray input = npy(manager, "input.npy");
        net.initialize(manager, DataType.FLOAT32, input.getShape());
        TorchWeights.load(net, TorchFileReader.readStateDict(weights()), layout, true);
        return net;
    }
}
