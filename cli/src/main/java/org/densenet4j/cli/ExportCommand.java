package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.io.Int8CalibrationFile;
import org.densenet4j.model.Presets;
import org.densenet4j.onnx.OnnxExport;
import org.densenet4j.script.Int8Model;
import org.densenet4j.script.Int8Source;
import org.densenet4j.script.TorchScriptExport;
import org.densenet4j.torch.SafetensorsFile;
import org.densenet4j.torch.TorchFileWriter;
import org.densenet4j.torch.TorchImport;
import org.densenet4j.torch.TorchLayout;
import org.densenet4j.torch.TorchTensor;
import org.densenet4j.torch.TorchWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code densenet4j export}: weights as a PyTorch .pth (either layout) or safetensors file. */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = "Export weights as a .pth that torch.load and the layout's PyTorch class accept, or as "
                + "safetensors, with the layout's key names; or the whole model as ONNX (opset 17) or a TorchScript "
                + "archive, which ONNX Runtime, PyTorch and LibTorch run without densenet4j; with --precision int8, "
                + "densenet4j's int8 network: a TorchScript archive holding its int8 module and calibration, or ONNX "
                + "in QDQ form (QuantizeLinear/DequantizeLinear at the calibrated points, int8 weights per output "
                + "channel), which ONNX Runtime runs with int8 kernels.")
final class ExportCommand implements Callable<Integer> {

    /** Output formats. */
    enum Format {
        PTH,
        SAFETENSORS,
        ONNX,
        TORCHSCRIPT
    }

    @Mixin
    CheckpointOption weights;

    @Option(names = "--format", defaultValue = "PTH", description = "${COMPLETION-CANDIDATES} (default: pth).")
    Format format;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "FILE",
            description = "The file to write; its folder must exist.")
    Path out;

    @Option(
            names = "--fold",
            description = "With --format onnx: fold each BN that follows a conv into it and pool before transition "
                    + "convs (fewer nodes; the default keeps every BN so that the graph can be fine-tuned; int8 "
                    + "ONNX is always folded).")
    boolean fold;

    @Mixin
    PrecisionOption precision;

    /** With --precision int8: the calibration the archive holds (the model's stored one, or measured now). */
    @Mixin
    CalibrationOption calibration;

    @Mixin
    OverwriteOption overwrite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        calibration.checkUsedWith(precision.precision());
        if (precision.precision() == Precision.INT8 && format != Format.TORCHSCRIPT && format != Format.ONNX) {
            throw new IllegalArgumentException(
                    "--precision int8 exports --format torchscript or onnx only: a weights file holds float32 weights");
        }
        if (precision.precision() == Precision.BF16 && format != Format.TORCHSCRIPT) {
            throw new IllegalArgumentException("--precision bf16 applies to --format torchscript only");
        }
        if (fold && format != Format.ONNX) {
            throw new IllegalArgumentException("--fold applies to --format onnx only");
        }
        overwrite.check(out);
        TorchLayout layout;
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainedModel loaded = weights.load(manager, spec.commandLine().getErr());
            String model = loaded.spec().modelName();
            String shown = TerminalText.escape(model);
            Object target = TerminalText.escape(out);
            if (precision.precision() == Precision.INT8) {
                Int8Source source = Int8Source.of(loaded); // folded once, for the calibration and the archive
                Int8CalibrationFile.Stored calibrated = calibration.resolve(
                        weights, loaded, source, spec.commandLine().getErr());
                overwrite.check(out); // again: calibrating can take minutes, and the file must still be ours to write
                String written;
                if (format == Format.ONNX) {
                    int nodes = OnnxExport.writeInt8(source, calibrated.calibration(), out);
                    written = String.format("int8 ONNX opset %d in QDQ form, %d nodes", OnnxExport.OPSET, nodes);
                } else {
                    Int8Model.export(source, calibrated.calibration(), out);
                    written = "an int8 TorchScript archive";
                }
                spec.commandLine()
                        .getOut()
                        .printf(
                                "%s as %s (%s) -> %s%n",
                                shown, written, TerminalText.escape(calibrated.describe()), target);
                spec.commandLine().getOut().flush();
                return 0;
            }
            if (format == Format.TORCHSCRIPT) {
                TorchScriptExport.write(loaded, out, precision.precision());
                spec.commandLine().getOut().printf("%s as a TorchScript archive -> %s%n", shown, target);
                spec.commandLine().getOut().flush();
                return 0;
            }
            if (format == Format.ONNX) {
                int nodes = OnnxExport.write(loaded, fold, out);
                spec.commandLine()
                        .getOut()
                        .printf(
                                "%s as ONNX opset %d%s, %d nodes -> %s%n",
                                shown, OnnxExport.OPSET, fold ? " (folded)" : "", nodes, target);
                spec.commandLine().getOut().flush();
                return 0;
            }
            layout = TorchImport.layout(Presets.named(model), weights.pth.layout());
            Map<String, TorchTensor> stateDict = TorchWeights.stateDict(loaded.network(), layout);
            if (format == Format.PTH) {
                TorchFileWriter.write(stateDict, out);
            } else {
                SafetensorsFile.write(stateDict, out);
            }
            spec.commandLine()
                    .getOut()
                    .printf(
                            "%s in the %s layout -> %s (%s)%n",
                            shown, layout.cliName(), target, format.name().toLowerCase());
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
