package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.Freeze;
import org.densenet4j.model.Preset;
import org.densenet4j.train.PretrainedStart;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Fine-tuning in {@code train}: the weights to start from and what of them stays fixed or learns slower. */
final class FineTuningOptions {

    @Option(
            names = "--weights",
            paramLabel = "FILE|NAME",
            description = "Fine-tune: start from these weights, a densenet4j checkpoint, a PyTorch .pth (with "
                    + "--model and, if needed, --layout) or pretrained weights by name (--model densenet121 "
                    + "--weights imagenet). All but the classifier must fit; a classifier of another "
                    + "class count is re-initialised. Grey images feed a colour model as three equal channels.")
    Path weights;

    @Mixin
    PthOptions pth = new PthOptions();

    @Option(
            names = "--freeze",
            paramLabel = "PART",
            defaultValue = "none",
            converter = FreezeConverter.class,
            description = "With --weights: none, features (only the classifier trains: a linear probe) or blockN "
                    + "(the stem, dense blocks 1..N and their transitions stay fixed). Frozen batch norms keep "
                    + "their statistics (default: ${DEFAULT-VALUE}).")
    Freeze freeze;

    @Option(
            names = "--backbone-lr-scale",
            paramLabel = "X",
            defaultValue = "1",
            description = "With --weights: the learning rate of everything but the classifier, as a fraction of "
                    + "--lr (default: ${DEFAULT-VALUE}).")
    double backboneLrScale;

    @Option(
            names = "--no-feature-cache",
            description = "With --freeze features and --no-augment: run the whole network every epoch instead of "
                    + "computing each image's features once (the same result, slower; for comparison).")
    boolean noFeatureCache;

    @Option(
            names = "--refit-normalization",
            description = "With --weights: compute the mean and std from the training images instead of "
                    + "using the ones the weights were trained with.")
    boolean refitNormalization;

    /**
     * The weights to start from, or null to train from scratch; a .pth holds the {@code preset} and as many classes
     * as its classifier.
     *
     * @throws IllegalArgumentException for fine-tuning settings without weights
     */
    PretrainedStart load(Preset preset, NDManager manager, PrintWriter err) throws IOException {
        if (weights == null) {
            if (refitNormalization || !freeze.isNone() || backboneLrScale != 1) {
                throw new IllegalArgumentException("--refit-normalization, --freeze and --backbone-lr-scale "
                        + "fine-tune pretrained weights: give them with --weights FILE");
            }
            return null;
        }
        PretrainedFiles.Source source = PretrainedFiles.resolve(weights, preset, null, pth, err);
        TrainedModel model =
                ModelFiles.open(source.file(), source.options(), manager, w -> CheckpointOption.warn(err, w));
        return new PretrainedStart(model, refitNormalization);
    }

    /** Parses --freeze; an unknown part is a usage error. */
    static final class FreezeConverter extends ParsingConverter<Freeze> {
        FreezeConverter() {
            super(Freeze::parse);
        }
    }
}
