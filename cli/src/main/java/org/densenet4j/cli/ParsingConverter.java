package org.densenet4j.cli;

import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A picocli converter made of one of the library's parse methods: the {@link IllegalArgumentException} naming the bad
 * value and the accepted ones becomes a usage error (exit 2).
 */
abstract class ParsingConverter<T> implements ITypeConverter<T> {

    private final Function<String, T> parse;

    ParsingConverter(Function<String, T> parse) {
        this.parse = parse;
    }

    @Override
    public T convert(String value) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
