package org.densenet4j.cli;

import org.densenet4j.torch.TorchLayout;
import picocli.CommandLine.Option;

/** How to read a PyTorch file: its key layout and strictness, shared by every verb that reads one. */
public final class PthOptions {

    @Option(
            names = "--layout",
            paramLabel = "LAYOUT",
            converter = LayoutConverter.class,
            description = "With a .pth file: torchvision or pytorch-cifar (default: by preset family).")
    TorchLayout layout;

    @Option(names = "--non-strict", description = "With a .pth file: report key problems and load what fits.")
    boolean nonStrict;

    public TorchLayout layout() {
        return layout;
    }

    public boolean strict() {
        return !nonStrict;
    }

    /** Parses a layout name; an unknown one is a usage error. */
    static final class LayoutConverter extends ParsingConverter<TorchLayout> {
        LayoutConverter() {
            super(TorchLayout::parse);
        }
    }
}
