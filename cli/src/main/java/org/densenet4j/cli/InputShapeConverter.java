package org.densenet4j.cli;

import ai.djl.ndarray.types.Shape;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses {@code CxHxW}, for example {@code 3x224x224}. */
final class InputShapeConverter implements ITypeConverter<Shape> {

    @Override
    public Shape convert(String value) {
        String[] parts = value.toLowerCase().split("x");
        if (parts.length != 3) {
            throw new TypeConversionException("'" + value + "' is not CxHxW, for example 3x224x224");
        }
        long[] dims = new long[3];
        for (int i = 0; i < 3; i++) {
            try {
                dims[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not CxHxW, for example 3x224x224");
            }
            if (dims[i] <= 0) {
                throw new TypeConversionException("'" + value + "' has a non-positive dimension");
            }
        }
        return new Shape(dims);
    }
}
