package org.densenet4j.cli;

import org.densenet4j.model.Preset;
import org.densenet4j.model.Presets;

/** Parses a model name; an unknown one is a usage error that lists the valid names. */
final class PresetConverter extends ParsingConverter<Preset> {

    PresetConverter() {
        super(Presets::named);
    }
}
