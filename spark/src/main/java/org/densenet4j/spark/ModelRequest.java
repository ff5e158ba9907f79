package org.densenet4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import org.densenet4j.cli.CheckpointOption;
import org.densenet4j.data.Downloader;
import org.densenet4j.infer.Precision;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.model.Presets;
import org.densenet4j.pretrained.PretrainedWeights;
import org.densenet4j.torch.TorchLayout;

/**
 * The model an executor opens, as the driver's options gave it, in a form Spark can ship to executors.
 *
 * @param file the checkpoint or .pth given (a path, or a file name shipped with --files), or null for the bundled
 *     model
 * @param preset the preset a .pth holds, or null
 * @param classes a .pth's class count, or null
 * @param layout a .pth's layout name, or null
 * @param strict refuse a .pth whose keys or values do not fit
 * @param precision fp32, bf16 or int8
 * @param pretrained pretrained weights by name ({@code densenet121:imagenet}), which each executor finds in its
 *     cache (or fetches) itself; or null
 * @param calibration for int8: the calibration the driver resolved ({@code Int8CalibrationFile.Stored}'s JSON, a few
 *     kilobytes), which each executor checks against the weights it loads; null for an int8 archive (it holds its
 *     own) and for fp32 and bf16
 */
record ModelRequest(
        String file,
        String preset,
        Integer classes,
        String layout,
        boolean strict,
        String precision,
        String pretrained,
        String calibration)
        implements Serializable {

    /** The request for the driver's options; pretrained weights are fetched on the driver first (a clear error). */
    static ModelRequest of(CheckpointOption option, Precision computeIn) throws IOException {
        return of(option, computeIn, null);
    }

    /** As {@link #of(CheckpointOption, Precision)}, for int8 with the driver's {@code calibration}. */
    static ModelRequest of(CheckpointOption option, Precision computeIn, String calibration) throws IOException {
        ModelFiles.Options o = option.options();
        Path given = option.given();
        return new ModelRequest(
                given == null || o.pretrained() != null ? null : given.toString(),
                o.preset() == null ? null : o.preset().name(),
                o.classes(),
                o.layout() == null ? null : o.layout().cliName(),
                o.strict(),
                computeIn.toString(),
                o.pretrained() == null ? null : o.pretrained().key(),
                calibration);
    }

    /** The verified local file of the pretrained weights requested, from this machine's caches or fetched. */
    Path pretrainedFile() throws IOException {
        PretrainedWeights weights = PretrainedWeights.fromEnvironment();
        return weights.fetch(weights.registry().find(pretrained), Downloader.Progress.NONE);
    }

    Precision computePrecision() {
        return Precision.parse(precision);
    }

    /** The options on the executor's side. */
    ModelFiles.Options options() throws IOException {
        if (pretrained != null) {
            return ModelFiles.Options.of(
                    PretrainedWeights.fromEnvironment().registry().find(pretrained), strict);
        }
        return new ModelFiles.Options(
                preset == null ? null : Presets.named(preset),
                classes,
                layout == null ? null : TorchLayout.parse(layout),
                strict);
    }
}
