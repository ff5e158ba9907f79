package org.densenet4j.script;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.densenet4j.infer.Precision;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.FoldedDenseNet;
import org.densenet4j.model.FoldedWeights;
import org.densenet4j.torch.TorchTensor;

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

    /** The names of a folded pre-activation's tensors (a transition, the head), in the order they are stored. */
    static final List<String> FOLDED_PRE_ACTIVATION = List.of("lower", "upper", "weight", "bias");
    /** The names of the folded ImageNet stem's tensors: its conv with the BN folded in. */
    static final List<String> FOLDED_STEM = List.of("conv0.weight", "conv0.bias");
    /** The names of a folded bottleneck layer's tensors: the pre-activation into conv1, then conv2. */
    static final List<String> FOLDED_BOTTLENECK = List.of("lower", "upper", "weight", "bias", "conv2.weight");
    /** The names of a folded basic layer's tensors: its BN (statistics first), then conv1. */
    static final List<String> FOLDED_BASIC =
            List.of("norm1.running_mean", "norm1.running_var", "norm1.weight", "norm1.bias", "conv1.weight");

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
                Entry.of(net.stem().tensors(), false),
                net.denseBlocks().stream()
                        .map(b -> b.layers().stream()
                                .map(l -> Entry.of(l.tensors(), false))
                                .toList())
                        .toList(),
                net.transitions().stream()
                        .map(t -> Entry.of(t.tensors(), false))
                        .toList(),
                Entry.of(net.head().tensors(), false));
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
}
