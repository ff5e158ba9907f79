package org.densenet4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.densenet4j.base.AtomicFile;

/** NumPy {@code .npy} files, the exchange format of {@code densenet4j infer}. */
public final class NpyFile {

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private NpyFile() {}

    /**
     * Reads an array.
     *
     * @throws IOException naming the file if it is not a readable .npy file
     */
    public static NDArray read(Path file, NDManager manager) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(
                    file + ": " + (Files.exists(file) ? "not a regular file" : "no such file"));
        }
        long fileBytes = Files.size(file);
        Runtime rt = Runtime.getRuntime();
        if (fileBytes > Integer.MAX_VALUE - 16
                || fileBytes > (rt.maxMemory() - (rt.totalMemory() - rt.freeMemory())) / 3) {
            throw new IOException(
                    file + ": " + fileBytes + " bytes is more than this JVM can read as one batch; split the "
                            + "batch or give the JVM more memory (-Xmx)");
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 10 || bytes[0] != (byte) 0x93 || bytes[1] != 'N' || bytes[2] != 'U') {
            throw new IOException(file + ": not a NumPy .npy file (no \\x93NUMPY magic)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int major = bytes[6];
        int headerLength = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
        long start = (major == 1 ? 10L : 12L) + headerLength;
        if (headerLength < 0 || start > bytes.length) {
            throw new IOException(file + ": truncated .npy header");
        }
        String header = new String(bytes, major == 1 ? 10 : 12, headerLength, StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header);
        Matcher shapeMatch = SHAPE.matcher(header);
        if (!descr.find() || !shapeMatch.find() || header.contains("'fortran_order': True")) {
            throw new IOException(file + ": unsupported .npy header " + header.trim()
                    + " (expected a C-ordered little-endian float32, float64, int32 or int64 array)");
        }
        String[] dims = shapeMatch.group(1).split(",");
        long[] shape;
        try {
            shape = java.util.Arrays.stream(dims)
                    .map(String::trim)
                    .filter(d -> !d.isEmpty())
                    .mapToLong(Long::parseLong)
                    .toArray();
        } catch (NumberFormatException e) {
            throw new IOException(file + ": unreadable shape (" + shapeMatch.group(1) + ") in the .npy header");
        }
        long count = 1;
        for (long d : shape) {
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new IOException(
                        file + ": shape " + java.util.Arrays.toString(shape) + " has an invalid dimension");
            }
            if (count > 0 && d > Long.MAX_VALUE / 8 / count) {
                throw new IOException(file + ": shape " + java.util.Arrays.toString(shape) + " is too large");
            }
            count *= d;
        }
        if (count == 0) {
            throw new IOException(file + ": shape " + java.util.Arrays.toString(shape) + " holds no values; give at "
                    + "least one image");
        }
        String type = descr.group(1);
        int size =
                switch (type) {
                    case "<f4", "<i4" -> 4;
                    case "<f8", "<i8" -> 8;
                    default -> throw new IOException(
                            file + ": unsupported dtype " + type + " (expected <f4, <f8, <i4 or <i8)");
                };
        if (count > (bytes.length - start) / size || bytes.length - start != count * size) {
            throw new IOException(file + ": expected " + count * size + " data bytes for shape "
                    + java.util.Arrays.toString(shape) + ", found " + (bytes.length - start));
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) start, (int) (bytes.length - start))
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        ai.djl.ndarray.types.Shape s = new ai.djl.ndarray.types.Shape(shape);
        return switch (type) {
            case "<f4" -> manager.create(data.asFloatBuffer(), s);
            case "<f8" -> manager.create(data.asDoubleBuffer(), s);
            case "<i4" -> manager.create(data.asIntBuffer(), s);
            default -> manager.create(data.asLongBuffer(), s);
        };
    }

    /** Writes a float32 array as a version 1.0 .npy file, atomically. */
    public static void writeFloat32(NDArray array, Path file) throws IOException {
        AtomicFile.write(file, out -> writeFloat32(array, out));
    }

    /** Writes a float32 array to {@code out} in the version 1.0 .npy format. */
    public static void writeFloat32(NDArray array, OutputStream out) throws IOException {
        float[] data = array.toType(DataType.FLOAT32, false).toFloatArray();
        StringBuilder shape = new StringBuilder("(");
        for (long d : array.getShape().getShape()) {
            shape.append(d).append(", ");
        }
        if (array.getShape().dimension() > 1) {
            shape.setLength(shape.length() - 2);
        } else if (array.getShape().dimension() == 1) {
            shape.setLength(shape.length() - 1);
        }
        shape.append(')');
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = 10 + header.length() + 1;
        int padding = (64 - total % 64) % 64;
        header = header + " ".repeat(padding) + "\n";
        ByteBuffer b =
                ByteBuffer.allocate(10 + header.length() + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1)
                .put((byte) 0);
        b.putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        for (float v : data) {
            b.putFloat(v);
        }
        out.write(b.array());
    }
}
