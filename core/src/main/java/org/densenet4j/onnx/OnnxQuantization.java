package org.densenet4j.onnx;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.densenet4j.script.Int8Calibration;
import org.densenet4j.script.Int8Weights;

/**
 * densenet4j's int8 network written into an ONNX graph in the QDQ form that ONNX Runtime turns into int8 kernels: at each of the int8 module's points ({@link Int8Calibration}) the map goes through {@code
 * QuantizeLinear} (uint8, the point's scale and zero point) and back through {@code DequantizeLinear}; each
 * convolution reads int8 weights, per output channel and symmetric ({@code scale = max |w| / 127}, zero point 0), and
 * an int32 bias at the input's scale times the weight's, each through {@code DequantizeLinear}: the points, scales
 * and folded tensors of densenet4j's own int8 TorchScript module, quantized by its rule, so a runtime's fused kernels ({@code QLinearConv} and
 * kin) compute what it computes, within int8 rounding.
 */
final class OnnxQuantization {

    /** The largest int32 bias written: below 2^31 with room for the float32 rounding of its scale. */
    private static final double MAX_BIAS = 2.0e9;

    private final OnnxGraph graph;
    private final Int8Calibration calibration;
    /** The int8 module's tensors; convolutions take them in the module's order. */
    private final Int8Weights weights;

    private int nextConvolution;
    private final Map<String, Integer> pointIndex = new HashMap<>();
    /** Per dequantized value in the graph, the point whose scale it carries (a convolution's input scale). */
    private final Map<String, Integer> pointOfValue = new HashMap<>();
    /** Points whose scale and zero point are already constants of the graph. */
    private final Set<Integer> declared = new HashSet<>();

    /**
     * What an int8 graph is written from.
     *
     * @param calibration the activation ranges
     * @param points the points of the network's int8 module, which the calibration must hold
     * @param weights the module's folded tensors
     */
    record Factory(Int8Calibration calibration, List<String> points, Int8Weights weights) {
        OnnxQuantization on(OnnxGraph graph) {
            return new OnnxQuantization(graph, calibration, points, weights);
        }
    }

    private OnnxQuantization(
            OnnxGraph graph, Int8Calibration calibration, List<String> expectedPoints, Int8Weights weights) {
        List<String> held = calibration.points();
        if (!held.equals(expectedPoints)) {
            int i = 0;
            while (i < Math.min(held.size(), expectedPoints.size())
                    && held.get(i).equals(expectedPoints.get(i))) {
                i++;
            }
            throw new IllegalArgumentException("the calibration was made for another network: its point " + (i + 1)
                    + " is " + (i < held.size() ? held.get(i) : "missing") + " where this network's int8 form has "
                    + (i < expectedPoints.size() ? expectedPoints.get(i) : "none"));
        }
        this.graph = graph;
        this.calibration = calibration;
        this.weights = weights;
        for (int i = 0; i < expectedPoints.size(); i++) {
            pointIndex.put(expectedPoints.get(i), i);
        }
    }

    /** {@code x} quantized at {@code point} and dequantized again: its values on the point's uint8 grid. */
    String at(String x, String point) {
        Integer p = pointIndex.get(point);
        if (p == null) {
            throw new IllegalStateException("no calibration point " + point);
        }
        String scale = "quantization." + point + ".scale";
        String zero = "quantization." + point + ".zero_point";
        if (declared.add(p)) {
            graph.initializer(scale, new float[] {(float) calibration.scale(p)});
            graph.uint8Initializer(zero, new byte[] {(byte) calibration.zeroPoint(p)});
        }
        String q = graph.node("QuantizeLinear", x + ".quantize", new String[] {x, scale, zero});
        String dq = graph.node("DequantizeLinear", x + ".dequantize", new String[] {q, scale, zero});
        pointOfValue.put(dq, p);
        return dq;
    }

    /**
     * The weight and bias inputs of convolution {@code name} reading {@code x}, the int8 module's next convolution,
     * of shape {@code dims}: int8 weights per output channel and an int32 bias, each dequantized.
     */
    String[] convolutionInputs(String name, String x, long[] dims) {
        if (nextConvolution >= weights.convWeights().size()
                || !Arrays.equals(weights.convWeights().get(nextConvolution).shape(), dims)) {
            throw new IllegalStateException("convolution " + name + " of shape " + Arrays.toString(dims)
                    + " is not the int8 module's convolution " + nextConvolution);
        }
        float[] weight = weights.convWeights().get(nextConvolution).data();
        float[] bias = weights.convBiases().get(nextConvolution++).data();
        Integer p = pointOfValue.get(x);
        if (p == null) {
            throw new IllegalStateException("convolution " + name + " reads " + x + ", which no point quantized");
        }
        float inputScale = (float) calibration.scale(p);
        int out = (int) dims[0];
        int per = weight.length / out;
        byte[] q = new byte[weight.length];
        float[] scales = new float[out];
        int[] biasQ = new int[out];
        float[] biasScales = new float[out];
        for (int o = 0; o < out; o++) {
            float largest = 0;
            for (int i = 0; i < per; i++) {
                largest = Math.max(largest, Math.abs(weight[o * per + i]));
            }
            // as the int8 module's prepack: clamp_min(max |w|, 1e-12) / 127 in float32, rounded half to even
            float s = Math.max(largest, 1e-12f) / 127f;
            // The bias is stored in int32 at the input's scale times the weight's. A channel whose weights are all
            // (nearly) zero, e.g. behind a BN with gamma 0, would need a bias beyond int32 there and lose it; fbgemm
            // adds the bias in float and keeps it. A coarser weight scale for that channel keeps it (its weights,
            // far below the bias, round to zero either way).
            double bound = Math.abs(bias[o]) / ((double) inputScale * MAX_BIAS);
            if (s < bound) {
                s = Math.nextUp((float) bound);
            }
            if (!(s > 0) || !Float.isFinite(s) || !(inputScale * s > 0) || !Float.isFinite(inputScale * s)) {
                // NaN or infinite weights, or ranges so wide that the bias's scale leaves float32
                throw new IllegalArgumentException("convolution " + name + ", output channel " + o + ": its int8 "
                        + "weight scale " + s + " (input scale " + inputScale + ") is not a positive float32; the "
                        + "weights or the calibration hold non-finite or extreme values");
            }
            scales[o] = s;
            float inverse = 1f / s; // as torch.quantize_per_channel: nearbyint(w * (1 / scale)) in float32
            for (int i = 0; i < per; i++) {
                q[o * per + i] = (byte) Math.max(-128, Math.min(127, Math.rint(weight[o * per + i] * inverse)));
            }
            biasScales[o] = inputScale * s;
            biasQ[o] = (int) Math.rint(bias[o] / (double) biasScales[o]);
        }
        String w = perChannel(
                name + ".weight",
                graph.int8Initializer(name + ".weight.quantized", q, dims),
                scales,
                graph.int8Initializer(name + ".weight.zero_point", new byte[out], out));
        String b = perChannel(
                name + ".bias",
                graph.int32Initializer(name + ".bias.quantized", biasQ, out),
                biasScales,
                graph.int32Initializer(name + ".bias.zero_point", new int[out], out));
        return new String[] {x, w, b};
    }

    /** {@code quantized} dequantized per output channel (axis 0) with {@code scales} and the zero points given. */
    private String perChannel(String name, String quantized, float[] scales, String zeroPoints) {
        return graph.node(
                "DequantizeLinear",
                name + ".dequantize",
                new String[] {quantized, graph.initializer(name + ".scale", scales, scales.length), zeroPoints},
                OnnxGraph.integer("axis", 0));
    }

    /** The quantization as the model's metadata states it. */
    String describe() {
        return "{\"method\": \"" + Int8Calibration.METHOD + "\", \"images\": " + calibration.images()
                + ", \"activations\": \"uint8 per tensor\", \"weights\": \"int8 per output channel, symmetric\"}";
    }
}
