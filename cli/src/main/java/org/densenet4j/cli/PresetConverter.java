package org.densenet4j.cli;

import org.densenet4j.model.Preset;
import org.densenet4j.model.Presets;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses a model name; an unknown one is a usage error that lists the valid names. */
final class PresetConverter implements ITypeConverter<Preset> {

    @Override
    public Preset convert(String value) {
        try {
            return Presets.named(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
