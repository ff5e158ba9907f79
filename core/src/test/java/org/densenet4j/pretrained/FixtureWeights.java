package org.densenet4j.pretrained;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.Presets;
import org.densenet4j.torch.TorchFileWriter;
import org.densenet4j.torch.TorchLayout;
import org.densenet4j.torch.TorchTensor;
import org.densenet4j.torch.TorchWeights;

/**
 * The densenet121 weights of scripts/make_pretrained_fixture.py, generated here from the same formula rather than
 * committed (32 MB): key number t of the sorted float tensors holds, at index i, a value of u = splitmix64(t * 2^32 +
 * i) >> 40 scaled to [0, 1).
 */
final class FixtureWeights {

    static final double CLASSIFIER_GAIN = 2.0;

    private FixtureWeights() {}

    /** torchvision's densenet121 state dict with the formula's values, in torchvision's key names. */
    static Map<String, TorchTensor> densenet121(NDManager manager) {
        DenseNet net = new DenseNet(Presets.named("densenet121").config(1000));
        net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 224, 224));
        Map<String, TorchTensor> layout = TorchWeights.stateDict(net, TorchLayout.TORCHVISION);
        List<String> keys = layout.keySet().stream()
                .filter(k -> !k.endsWith("num_batches_tracked"))
                .sorted()
                .toList();
        Map<String, TorchTensor> out = new LinkedHashMap<>(layout);
        for (int t = 0; t < keys.size(); t++) {
            String key = keys.get(t);
            long[] shape = layout.get(key).shape();
            out.put(key, new TorchTensor(shape, values(key, shape, t)));
        }
        return out;
    }

    static void write(Path file, NDManager manager) throws IOException {
        TorchFileWriter.write(densenet121(manager), file);
    }

    private static float[] values(String key, long[] shape, int t) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] v = new float[n];
        boolean weight = key.endsWith("weight");
        double bound = 0;
        if (weight && shape.length > 1) {
            long fanIn = n / shape[0];
            bound = Math.sqrt(6.0 / fanIn) * (key.startsWith("classifier") ? CLASSIFIER_GAIN : 1.0);
        }
        for (int i = 0; i < n; i++) {
            double u = uniform(t, i);
            double x;
            if (bound > 0) {
                x = (2 * u - 1) * bound;
            } else if (weight || key.endsWith("running_var")) {
                x = 0.5 + u;
            } else {
                x = (u - 0.5) / 5;
            }
            v[i] = (float) x;
        }
        return v;
    }

    /** splitmix64's output for counter {@code (t << 32) + i}, its top 24 bits as a double in [0, 1). */
    static double uniform(long t, long i) {
        long z = (t << 32) + i + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 40) / (double) (1 << 24);
    }

    /** The sum of every generated value, in float64, to compare with the fixture's. */
    static double sum(Map<String, TorchTensor> stateDict) {
        double s = 0;
        for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
            if (!e.getKey().endsWith("num_batches_tracked")) {
                for (float f : e.getValue().data()) {
                    s += f;
                }
            }
        }
        return s;
    }
}
