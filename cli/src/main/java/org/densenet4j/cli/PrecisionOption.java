package org.densenet4j.cli;

import org.densenet4j.infer.Precision;
import picocli.CommandLine.Option;

/** {@code --precision fp32|bf16|int8}, shared by every verb that runs or trains a model. */
public final class PrecisionOption {

    @Option(
            names = "--precision",
            defaultValue = "fp32",
            paramLabel = "fp32|bf16|int8",
            converter = Converter.class,
            description = "fp32, or bf16: the folded network compiled for libtorch in bfloat16, float32 at the edges "
                    + "(train and bench --mode train: bf16 mixed precision, convolutions and the classifier in "
                    + "bfloat16 inside libtorch, float32 master weights, gradients, BN statistics and loss, as "
                    + "torch.autocast) (needs a CPU with avx512_bf16 or amx_bf16); int8 (not train): post-training "
                    + "quantization through libtorch's fbgemm, with the calibration stored beside the model or "
                    + "measured once (--calibrate) (needs avx512_vnni or amx_int8) (default: ${DEFAULT-VALUE}).")
    Precision precision = Precision.FP32;

    public Precision precision() {
        return precision;
    }

    /** Parses a precision name; an unknown one is a usage error. */
    static final class Converter extends ParsingConverter<Precision> {
        Converter() {
            super(Precision::parse);
        }
    }
}
