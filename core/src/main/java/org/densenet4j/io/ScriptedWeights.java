package org.densenet4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.densenet4j.infer.Precision;
import org.densenet4j.model.DenseLayer;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.FoldedDenseNet;
import org.densenet4j.model.FoldedWeights;
import org.densenet4j.model.StemType;
import org.densenet4j.model.Transition;

/**
 * The tensors of a TorchScript archive per stage, in the order its code reads them: what {@link TorchScriptExport}
 * writes and {@link TorchScriptArchive} reads back. Float32 archives hold the plain network (PyTorch's own
 * computation, to the bit); bfloat16 ones the folded network ({@link FoldedDenseNet}), all in bfloat16 but a basic
 * layer's BN.
 *
 * @param stem the stem's tensors
 * @param blocks per dense block, per layer, the layer's tensors
 * @param transitions per transition, its tensors
 * @param head the head's tensors
 */
public record ScriptedWeights(
        List<Entry> stem, List<List<List<Entry>>> blocks, List<List<Entry>> transitions, List<Entry> head) {

    /**
     * A tensor of the archive and whether it is stored (and computes) in bfloat16.
     *
     * @param tensor its shape and values (a bfloat16 tensor's values are rounded when written)
     * @param half true if stored in bfloat16
     */
    public record Entry(TorchTensor tensor, boolean half) {

        static List<Entry> of(List<NDArray> arrays, boolean half) {
            return arrays.stream()
                    .map(a -> new Entry(new TorchTensor(a.getShape().getShape(), a.toFloatArray()), half))
                    .toList();
        }
    }

    /** The archive's tensors for {@code net} computing in {@code precision}; folding uses {@code scratch}. */
    static ScriptedWeights of(DenseNet net, Precision precision, NDManager scratch) {
        return precision == Precision.BF16 ? folded(net, scratch) : plain(net);
    }

    /** Every entry, flat, in the archive's order: stem, each block's layers then its transition, head. */
    List<Entry> flat() {
        List<Entry> out = new ArrayList<>(stem);
        for (int b = 0; b < blocks.size(); b++) {
            blocks.get(b).forEach(out::addAll);
            if (b < transitions.size()) {
                out.addAll(transitions.get(b));
            }
        }
        out.addAll(head);
        return out;
    }

    /**
     * These tensors, each stored in bfloat16 where the same tensor of {@code layout} is: how an archive's weights,
     * read as data, are written again as the exporter writes them. Both must have the same structure.
     */
    ScriptedWeights storedAs(ScriptedWeights layout) {
        java.util.Iterator<Entry> half = layout.flat().iterator();
        Function<List<Entry>, List<Entry>> each = l ->
                l.stream().map(e -> new Entry(e.tensor(), half.next().half())).toList();
        // In flat() order, so that each entry meets its counterpart in the layout.
        List<Entry> stemOut = each.apply(stem);
        List<List<List<Entry>>> blocksOut = new ArrayList<>();
        List<List<Entry>> transitionsOut = new ArrayList<>();
        for (int b = 0; b < blocks.size(); b++) {
            blocksOut.add(blocks.get(b).stream().map(each).toList());
            if (b < transitions.size()) {
                transitionsOut.add(each.apply(transitions.get(b)));
            }
        }
        return new ScriptedWeights(stemOut, blocksOut, transitionsOut, each.apply(head));
    }

    private static ScriptedWeights plain(DenseNet net) {
        return new ScriptedWeights(
                Entry.of(stemTensors(net), false),
                net.denseBlocks().stream()
                        .map(b -> b.layers().stream()
                                .map(l -> Entry.of(layerTensors(l), false))
                                .toList())
                        .toList(),
                net.transitions().stream()
                        .map(t -> Entry.of(transitionTensors(t), false))
                        .toList(),
                Entry.of(headTensors(net), false));
    }

    private static ScriptedWeights folded(DenseNet net, NDManager scratch) {
        FoldedWeights w = FoldedDenseNet.of(net, scratch).weights();
        NDArray none = scratch.create(new float[0], new Shape(0));
        List<NDArray> stem = w.stemBias() == null ? List.of(w.stemWeight()) : List.of(w.stemWeight(), w.stemBias());
        List<List<List<Entry>>> blocks = new ArrayList<>();
        for (List<FoldedWeights.Layer> layers : w.blocks()) {
            List<List<Entry>> folded = new ArrayList<>();
            for (FoldedWeights.Layer l : layers) {
                if (l.bottleneck() != null) {
                    folded.add(Entry.of(preActivation(l.bottleneck(), none, l.conv3x3()), true));
                } else {
                    List<Entry> basic = new ArrayList<>(Entry.of(List.of(l.basicNorm()), false));
                    basic.addAll(Entry.of(List.of(l.conv3x3()), true));
                    folded.add(basic);
                }
            }
            blocks.add(folded);
        }
        return new ScriptedWeights(
                Entry.of(stem, true),
                blocks,
                w.transitions().stream()
                        .map(t -> Entry.of(preActivation(t, none, null), true))
                        .toList(),
                Entry.of(preActivation(w.head(), none, null), true));
    }

    /** lower, upper (empty when there is none), weight, bias, then {@code last} if given. */
    private static List<NDArray> preActivation(FoldedWeights.PreActivation p, NDArray none, NDArray last) {
        List<NDArray> out =
                new ArrayList<>(List.of(p.lower(), p.upper() == null ? none : p.upper(), p.weight(), p.bias()));
        if (last != null) {
            out.add(last);
        }
        return out;
    }

    /**
     * Every tensor of the network in the archive's order, flat: stem, then each dense block's layers followed by
     * its transition, then the head; each BN as weight, bias, running mean, running variance.
     */
    static List<NDArray> stateTensors(DenseNet net) {
        List<NDArray> out = new ArrayList<>(stemTensors(net));
        for (int b = 0; b < net.denseBlocks().size(); b++) {
            for (DenseLayer layer : net.denseBlocks().get(b).layers()) {
                out.addAll(layerTensors(layer));
            }
            if (b < net.transitions().size()) {
                out.addAll(transitionTensors(net.transitions().get(b)));
            }
        }
        out.addAll(headTensors(net));
        return out;
    }

    static List<NDArray> stemTensors(DenseNet net) {
        List<NDArray> out = new ArrayList<>(List.of(weight(net.stem().conv())));
        if (net.stem().type() == StemType.IMAGENET) {
            out.addAll(norm(net.stem().norm()));
        }
        return out;
    }

    /** Bottleneck: norm1 (4), conv1, norm2 (4), conv2. Basic: norm1 (4), conv1. */
    static List<NDArray> layerTensors(DenseLayer layer) {
        List<NDArray> out = new ArrayList<>(norm(layer.norm1()));
        out.add(weight(layer.conv1()));
        if (layer.isBottleneck()) {
            out.addAll(norm(layer.norm2()));
            out.add(weight(layer.conv2()));
        }
        return out;
    }

    static List<NDArray> transitionTensors(Transition t) {
        List<NDArray> out = new ArrayList<>(norm(t.norm()));
        out.add(weight(t.conv()));
        return out;
    }

    static List<NDArray> headTensors(DenseNet net) {
        List<NDArray> out = new ArrayList<>(norm(net.head().norm()));
        out.add(weight(net.head().classifier()));
        out.add(net.head().classifier().getParameters().get("bias").getArray());
        return out;
    }

    /** A BN's weight (gamma), bias (beta), running mean and running variance, in torch.batch_norm's order. */
    private static List<NDArray> norm(BatchNorm norm) {
        return List.of(
                norm.getParameters().get("gamma").getArray(),
                norm.getParameters().get("beta").getArray(),
                norm.getParameters().get("runningMean").getArray(),
                norm.getParameters().get("runningVar").getArray());
    }

    private static NDArray weight(Block block) {
        return block.getParameters().get("weight").getArray();
    }
}
