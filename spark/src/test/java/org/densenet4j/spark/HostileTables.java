package org.densenet4j.spark;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/** Parquet tables as an attacker (or an odd writer) makes them, written with parquet-mr's own writers. */
final class HostileTables {

    /** The shape spark-classify reads: a path and the image's bytes, both optional. */
    static final MessageType IMAGES = MessageTypeParser.parseMessageType(
            "message images { optional binary path (STRING); optional binary content; }");

    private static final MessageType REQUIRED_IMAGES = MessageTypeParser.parseMessageType(
            "message images { required binary path (STRING); required binary content; }");

    private HostileTables() {}

    /** A writer's options for {@link #write}. */
    record Layout(CompressionCodecName codec, boolean dictionary, ParquetProperties.WriterVersion version) {
        static Layout of(CompressionCodecName codec) {
            return new Layout(codec, false, ParquetProperties.WriterVersion.PARQUET_1_0);
        }
    }

    /**
     * Writes rows with parquet-mr's example writer: each row's values in schema order, a String or byte[] for a binary
     * column, an Integer for int32, null for a null.
     */
    static void write(Path file, MessageType schema, Layout layout, List<Object[]> rows) throws IOException {
        write(file, schema, layout, rows, ParquetProperties.DEFAULT_PAGE_ROW_COUNT_LIMIT);
    }

    /** As {@link #write(Path, MessageType, Layout, List)}, with at most {@code pageRows} rows in a page. */
    static void write(Path file, MessageType schema, Layout layout, List<Object[]> rows, int pageRows)
            throws IOException {
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(
                        HadoopOutputFile.fromPath(new org.apache.hadoop.fs.Path(file.toUri()), conf()))
                .withConf(conf())
                .withType(schema)
                .withCompressionCodec(layout.codec())
                .withDictionaryEncoding(layout.dictionary())
                .withWriterVersion(layout.version())
                .withPageRowCountLimit(pageRows)
                .withMinRowCountForPageSizeCheck(1)
                .build()) {
            for (Object[] values : rows) {
                Group row = groups.newGroup();
                for (int i = 0; i < values.length; i++) {
                    String name = schema.getFieldName(i);
                    if (values[i] instanceof String s) {
                        row.append(name, s);
                    } else if (values[i] instanceof byte[] b) {
                        row.append(name, Binary.fromConstantByteArray(b));
                    } else if (values[i] instanceof Integer n) {
                        row.append(name, n);
                    }
                }
                writer.write(row);
            }
        }
    }

    /**
     * A table of rows whose content cells are {@code zeros} zero bytes each, every cell in its own zstd page. The
     * pages are compressed as a stream, so that the file is kilobytes and nothing here holds a cell.
     */
    static void zeroCells(Path file, int cells, long zeros) throws IOException {
        if (zeros + 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a Parquet page holds at most 2 GB");
        }
        ParquetFileWriter writer = new ParquetFileWriter(
                HadoopOutputFile.fromPath(new org.apache.hadoop.fs.Path(file.toUri()), conf()),
                REQUIRED_IMAGES,
                ParquetFileWriter.Mode.CREATE,
                128 << 20,
                0);
        ColumnDescriptor path = REQUIRED_IMAGES.getColumnDescription(new String[] {"path"});
        ColumnDescriptor content = REQUIRED_IMAGES.getColumnDescription(new String[] {"content"});
        writer.start();
        writer.startBlock(cells);
        ByteArrayOutputStream paths = new ByteArrayOutputStream();
        for (int i = 0; i < cells; i++) {
            byte[] name = ("zeros-" + i + ".png").getBytes(StandardCharsets.UTF_8);
            paths.write(lengthPrefix(name.length));
            paths.write(name);
        }
        writer.startColumn(path, cells, CompressionCodecName.UNCOMPRESSED);
        writer.writeDataPage(
                cells,
                paths.size(),
                BytesInput.from(paths.toByteArray()),
                Statistics.createStats(path.getPrimitiveType()),
                cells,
                Encoding.RLE,
                Encoding.RLE,
                Encoding.PLAIN);
        writer.endColumn();
        writer.startColumn(content, cells, CompressionCodecName.ZSTD);
        byte[] page = zstdZeroCell(zeros);
        for (int i = 0; i < cells; i++) {
            writer.writeDataPage(
                    1,
                    (int) (zeros + 4),
                    BytesInput.from(page),
                    Statistics.createStats(content.getPrimitiveType()),
                    1,
                    Encoding.RLE,
                    Encoding.RLE,
                    Encoding.PLAIN);
        }
        writer.endColumn();
        writer.endBlock();
        writer.end(Map.of());
    }

    /** A plain-encoded cell of zeros (its length, then the bytes), compressed with zstd as a stream. */
    private static byte[] zstdZeroCell(long zeros) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream out = new ZstdOutputStream(compressed)) {
            out.write(lengthPrefix((int) zeros));
            byte[] chunk = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return compressed.toByteArray();
    }

    /**
     * A PNG of a few dozen bytes whose header declares {@code width} x {@code height} grey pixels (a decompression
     * bomb's header): decoding it would allocate width x height bytes before finding that its data is missing.
     */
    static byte[] pngDeclaring(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer header = ByteBuffer.allocate(13).putInt(width).putInt(height);
        header.put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0); // 8-bit grey, no interlace
        pngChunk(out, "IHDR", header.array());
        pngChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void pngChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(name);
        out.writeBytes(data);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(name);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static byte[] lengthPrefix(int length) {
        return ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(length)
                .array();
    }

    private static Configuration conf() {
        Configuration conf = new Configuration(false);
        conf.setClass("fs.file.impl", RawLocalFileSystem.class, FileSystem.class); // no .crc side files
        conf.setBoolean("fs.file.impl.disable.cache", true);
        return conf;
    }

    /** Writes the measured table: {@code HostileTables FILE CELLS BYTES}. */
    public static void main(String[] args) throws IOException {
        zeroCells(Path.of(args[0]), Integer.parseInt(args[1]), Long.parseLong(args[2]));
    }
}
