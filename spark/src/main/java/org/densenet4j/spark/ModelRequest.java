package org.densenet4j.spark;

import java.io.Serializable;
import java.nio.file.Path;
import org.densenet4j.cli.CheckpointOption;
import org.densenet4j.infer.Precision;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.io.TorchLayout;
import org.densenet4j.model.Presets;

/**
 * The model an executor opens, as the driver's options gave it, in a form Spark can ship to executors.
 *
 * @param file the checkpoint or .pth given (a path, or a file name shipped with --files), or null for the bundled
 *     model
 * @param preset the preset a .pth holds, or null
 * @param classes a .pth's class count, or null
 * @param layout a .pth's layout name, or null
 * @param strict refuse a .pth whose keys or values do not fit
 * @param precision fp32 or bf16
 */
record ModelRequest(String file, String preset, Integer classes, String layout, boolean strict, String precision)
        implements Serializable {

    static ModelRequest of(CheckpointOption option, Precision computeIn) {
        ModelFiles.Options o = option.options();
        Path given = option.given();
        return new ModelRequest(
                given == null ? null : given.toString(),
                o.preset() == null ? null : o.preset().name(),
                o.classes(),
                o.layout() == null ? null : o.layout().cliName(),
                o.strict(),
                computeIn.toString());
    }

    Precision computePrecision() {
        return Precision.parse(precision);
    }

    /** The options on the executor's side. */
    ModelFiles.Options options() {
        return new ModelFiles.Options(
                preset == null ? null : Presets.named(preset),
                classes,
                layout == null ? null : TorchLayout.parse(layout),
                strict);
    }
}
