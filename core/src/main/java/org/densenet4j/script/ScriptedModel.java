package org.densenet4j.script;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.IOException;
import org.densenet4j.infer.InferenceModel;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;

/**
 * A DenseNet compiled by densenet4j for libtorch and run through DJL's PyTorch engine as a {@code PtSymbolBlock}.
 *
 * <p>libtorch's TorchScript loader runs an archive's code and trusts its tensors' offsets, so it only ever sees an
 * archive densenet4j has just written itself, with its own code, into a private temporary folder (readable by this
 * user alone, holding nothing else, removed once loaded) and loads it by that path. Archives from elsewhere are read
 * as data first ({@link TorchScriptArchive}) and compiled again from their checked weights.
 */
public final class ScriptedModel implements InferenceModel, AutoCloseable {

    private final ModelSpec spec;
    private final Precision precision;
    private final Model model;

    private ScriptedModel(ModelSpec spec, Precision precision, Model model) {
        this.spec = spec;
        this.precision = precision;
        this.model = model;
    }

    /** The precision the module computes in. */
    public Precision precision() {
        return precision;
    }

    /** {@code model} compiled for libtorch in {@code precision} (for bf16, the folded network in bfloat16). */
    public static ScriptedModel compile(TrainedModel model, Precision precision) throws IOException {
        precision.requireSupport();
        try (NDManager scratch = NDManager.newBaseManager()) {
            return compile(model.spec(), precision, ScriptedWeights.of(model.network(), precision, scratch));
        }
    }

    /** The weights an archive held, checked by {@link TorchScriptArchive#read}, compiled with densenet4j's code. */
    public static ScriptedModel compile(TorchScriptArchive.Contents contents) throws IOException {
        contents.precision().requireSupport();
        return compile(contents.spec(), contents.precision(), contents.weights());
    }

    private static ScriptedModel compile(ModelSpec spec, Precision precision, ScriptedWeights weights)
            throws IOException {
        Model model = OwnModule.load(
                "TorchScript module for " + spec.modelName(),
                file -> TorchScriptExport.write(spec, precision, weights, file));
        return new ScriptedModel(spec, precision, model);
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    /** The TorchScript module, a {@code PtSymbolBlock}; it lives until {@link #close()}. */
    @Override
    public Block inferenceBlock(NDManager manager) {
        return model.getBlock();
    }

    /** The DJL model that owns the module, for the zoo. */
    public Model model() {
        return model;
    }

    @Override
    public void close() {
        model.close();
    }
}
