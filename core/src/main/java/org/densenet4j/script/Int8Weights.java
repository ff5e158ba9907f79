package org.densenet4j.script;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.model.DenseBlock;
import org.densenet4j.model.DenseLayer;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.StemType;
import org.densenet4j.model.Transition;
import org.densenet4j.torch.TorchTensor;

/**
 * The float32 tensors of densenet4j's int8 module ({@link Int8Code}), in the order its code reads them. Each BN that
 * follows a convolution (the ImageNet stem's, a bottleneck's second) is folded into that convolution's weight and
 * bias; each BN-ReLU before a convolution or the classifier stays a BN (computed on int8 maps by libtorch's quantized
 * batch norm). The module quantizes the convolution weights itself, per output channel and symmetrically.
 *
 * @param convWeights every convolution's weight: the stem's, then per dense layer its 1x1 (bottleneck) and 3x3
 *     convolutions, each block followed by its transition's
 * @param convBiases each convolution's bias (zeros where it has none)
 * @param norms every BN-ReLU before a convolution or the classifier as gamma, beta, running mean, running
 *     variance: per dense layer its first BN, each block followed by its transition's, then the head's
 * @param classifier the classifier's weight and bias
 */
public record Int8Weights(
        List<TorchTensor> convWeights,
        List<TorchTensor> convBiases,
        List<List<TorchTensor>> norms,
        List<TorchTensor> classifier) {

    /** {@code net}'s tensors as the int8 module reads them, its BNs folded where a convolution precedes them. */
    static Int8Weights of(DenseNet net) {
        List<TorchTensor> weights = new ArrayList<>();
        List<TorchTensor> biases = new ArrayList<>();
        List<List<TorchTensor>> norms = new ArrayList<>();
        if (net.stem().type() == StemType.IMAGENET) {
            addFolded(weights, biases, weight(net.stem().conv()), net.stem().norm());
        } else {
            add(weights, biases, weight(net.stem().conv()));
        }
        List<DenseBlock> blocks = net.denseBlocks();
        for (int b = 0; b < blocks.size(); b++) {
            for (DenseLayer layer : blocks.get(b).layers()) {
                norms.add(norm(layer.norm1()));
                if (layer.isBottleneck()) {
                    addFolded(weights, biases, weight(layer.conv1()), layer.norm2());
                    add(weights, biases, weight(layer.conv2()));
                } else {
                    add(weights, biases, weight(layer.conv1()));
                }
            }
            if (b < net.transitions().size()) {
                Transition t = net.transitions().get(b);
                norms.add(norm(t.norm()));
                add(weights, biases, weight(t.conv()));
            }
        }
        norms.add(norm(net.head().norm()));
        List<TorchTensor> classifier = List.of(
                tensor(weight(net.head().classifier())),
                tensor(net.head().classifier().getParameters().get("bias").getArray()));
        return new Int8Weights(weights, biases, norms, classifier);
    }

    /** Every tensor, flat, in the archive's order: weights, biases, norms, classifier. */
    public List<TorchTensor> flat() {
        List<TorchTensor> out = new ArrayList<>(convWeights);
        out.addAll(convBiases);
        norms.forEach(out::addAll);
        out.addAll(classifier);
        return out;
    }

    /**
     * What keeps these weights from being quantized faithfully, naming the first tensor at fault as an archive names
     * it ("conv_weights tensor 3 holds NaN or infinite values"); null if nothing does. Quantized, a NaN or infinite
     * value, or a BN's negative running variance, becomes a finite int8 value that means nothing: the network would
     * answer confidently where float32 answers NaN and is refused.
     */
    public String fault() {
        String fault = nonFinite("conv_weights", convWeights);
        if (fault == null) {
            fault = nonFinite("conv_biases", convBiases);
        }
        for (int i = 0; i < norms.size() && fault == null; i++) {
            fault = nonFinite("norms[" + i + "]", norms.get(i));
            if (fault == null && hasNegative(norms.get(i).get(3))) { // the running variance
                fault = "norms[" + i + "] tensor 3 holds a negative variance";
            }
        }
        return fault != null ? fault : nonFinite("classifier", classifier);
    }

    private static String nonFinite(String list, List<TorchTensor> tensors) {
        for (int t = 0; t < tensors.size(); t++) {
            for (float v : tensors.get(t).data()) {
                if (!Float.isFinite(v)) {
                    return list + " tensor " + t + " holds NaN or infinite values";
                }
            }
        }
        return null;
    }

    private static boolean hasNegative(TorchTensor tensor) {
        for (float v : tensor.data()) {
            if (v < 0) {
                return true;
            }
        }
        return false;
    }

    private static void add(List<TorchTensor> weights, List<TorchTensor> biases, NDArray weight) {
        TorchTensor w = tensor(weight);
        weights.add(w);
        biases.add(new TorchTensor(new long[] {w.shape()[0]}, new float[(int) w.shape()[0]]));
    }

    /** The convolution followed by eval-mode {@code norm}: weight * s per output channel, bias beta - mean * s. */
    private static void addFolded(List<TorchTensor> weights, List<TorchTensor> biases, NDArray weight, BatchNorm norm) {
        List<TorchTensor> n = norm(norm);
        float[] gamma = n.get(0).data();
        float[] beta = n.get(1).data();
        float[] mean = n.get(2).data();
        float[] var = n.get(3).data();
        TorchTensor w = tensor(weight);
        float[] folded = w.data().clone();
        int out = gamma.length;
        int per = folded.length / out;
        float[] bias = new float[out];
        for (int o = 0; o < out; o++) {
            double s = gamma[o] / Math.sqrt(var[o] + (double) DenseNet.BN_EPSILON);
            for (int i = 0; i < per; i++) {
                folded[o * per + i] = (float) (folded[o * per + i] * s);
            }
            bias[o] = (float) (beta[o] - mean[o] * s);
        }
        weights.add(new TorchTensor(w.shape(), folded));
        biases.add(new TorchTensor(new long[] {out}, bias));
    }

    /** A BN's weight (gamma), bias (beta), running mean and running variance, in quantized batch_norm's order. */
    private static List<TorchTensor> norm(BatchNorm norm) {
        return List.of(
                tensor(norm.getParameters().get("gamma").getArray()),
                tensor(norm.getParameters().get("beta").getArray()),
                tensor(norm.getParameters().get("runningMean").getArray()),
                tensor(norm.getParameters().get("runningVar").getArray()));
    }

    private static NDArray weight(Block block) {
        return block.getParameters().get("weight").getArray();
    }

    private static TorchTensor tensor(NDArray a) {
        return new TorchTensor(a.getShape().getShape(), a.toFloatArray());
    }
}
