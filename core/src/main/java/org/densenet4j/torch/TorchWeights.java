package org.densenet4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.densenet4j.base.MissingSettingException;
import org.densenet4j.base.Setting;
import org.densenet4j.model.DenseNet;

/** Moves weights between a densenet4j network and a PyTorch state dict in a given {@link TorchLayout}. */
public final class TorchWeights {

    private static final String BN_COUNTER = "num_batches_tracked";

    private TorchWeights() {}

    /**
     * What a load found.
     *
     * @param loaded keys copied into the network
     * @param missing network keys the state dict lacks
     * @param unexpected state-dict keys the network has no place for
     * @param mismatched keys present on both sides with different shapes
     */
    public record ImportReport(int loaded, List<String> missing, List<String> unexpected, List<String> mismatched) {

        public boolean isClean() {
            return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
        }

        /** All problems in one message. */
        public String describe() {
            StringBuilder b = new StringBuilder();
            if (!missing.isEmpty()) {
                b.append(missing.size())
                        .append(" missing key(s): ")
                        .append(abbreviate(missing))
                        .append("; ");
            }
            if (!unexpected.isEmpty()) {
                b.append(unexpected.size())
                        .append(" unexpected key(s): ")
                        .append(abbreviate(unexpected))
                        .append("; ");
            }
            if (!mismatched.isEmpty()) {
                b.append(mismatched.size())
                        .append(" shape mismatch(es): ")
                        .append(abbreviate(mismatched))
                        .append("; ");
            }
            return b.length() == 0 ? "all " + loaded + " keys loaded" : b.substring(0, b.length() - 2);
        }

        private static String abbreviate(List<String> keys) {
            return keys.size() <= 12
                    ? String.join(", ", keys)
                    : String.join(", ", keys.subList(0, 12)) + ", ... (" + (keys.size() - 12) + " more)";
        }
    }

    /**
     * Copies a state dict into an initialised network.
     *
     * @param strict if true, any missing, unexpected or wrongly shaped key fails the whole load and the
     *     network is left untouched; if false, matching keys load and the rest is reported
     * @throws IllegalArgumentException in strict mode, listing every problem together
     */
    public static ImportReport load(
            DenseNet net, Map<String, TorchTensor> stateDict, TorchLayout layout, boolean strict) {
        Map<String, Parameter> targets = layout.names(net);
        Map<String, TorchTensor> source = new LinkedHashMap<>();
        for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
            String key = TorchLayout.canonicalKey(e.getKey());
            if (!key.endsWith("." + BN_COUNTER)) {
                source.put(key, e.getValue());
            }
        }
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        Map<Parameter, TorchTensor> plan = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> t : targets.entrySet()) {
            TorchTensor tensor = source.get(t.getKey());
            if (tensor == null) {
                missing.add(t.getKey());
                continue;
            }
            long[] expected = t.getValue().getArray().getShape().getShape();
            if (!Arrays.equals(expected, tensor.shape())) {
                mismatched.add(t.getKey() + " (file " + Arrays.toString(tensor.shape()) + ", model "
                        + Arrays.toString(expected) + ")");
                continue;
            }
            plan.put(t.getValue(), tensor);
        }
        List<String> unexpected = new ArrayList<>();
        for (String key : source.keySet()) {
            if (!targets.containsKey(key)) {
                unexpected.add(key);
            }
        }
        ImportReport report = new ImportReport(plan.size(), missing, unexpected, mismatched);
        if (strict && !report.isClean()) {
            throw new MissingSettingException(
                    Setting.NON_STRICT,
                    "the weights do not fit this model in the " + layout.cliName() + " layout: " + report.describe()
                            + " (non-strict loading loads what fits)");
        }
        for (Map.Entry<Parameter, TorchTensor> e : plan.entrySet()) {
            NDArray array = e.getKey().getArray();
            array.set(FloatBuffer.wrap(e.getValue().data()));
        }
        return report;
    }

    /**
     * The network's weights as a state dict in {@code layout}, with the {@code num_batches_tracked}
     * counters PyTorch's strict {@code load_state_dict} expects.
     */
    public static Map<String, TorchTensor> stateDict(DenseNet net, TorchLayout layout) {
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : layout.names(net).entrySet()) {
            NDArray a = e.getValue().getArray();
            out.put(e.getKey(), new TorchTensor(a.getShape().getShape(), a.toFloatArray()));
            if (e.getKey().endsWith(".running_var")) {
                String counter = e.getKey().substring(0, e.getKey().length() - "running_var".length()) + BN_COUNTER;
                out.put(counter, new TorchTensor(new long[0], new float[] {0}, true));
            }
        }
        return out;
    }
}
