package org.densenet4j.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.cli.FeatureTable;

/**
 * {@code embed --out FILE.parquet}: one row per image with a {@code file} string and a {@code features} list of
 * floats (Parquet's standard three-level LIST, which Spark reads as {@code array<float>} and pandas as lists). Written
 * through {@link AtomicFile}, as every other output: whole or not at all, and a full disk is a one-line error.
 */
public final class ParquetFeatureTable implements FeatureTable {

    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType("message features {\n"
            + "  required binary file (STRING);\n"
            + "  required group features (LIST) {\n"
            + "    repeated group list {\n"
            + "      required float element;\n"
            + "    }\n"
            + "  }\n"
            + "}");

    @Override
    public String extension() {
        return ".parquet";
    }

    @Override
    public void write(Path out, List<Path> files, List<float[]> features, int dimension) throws IOException {
        Configuration conf = new Configuration(false);
        SimpleGroupFactory rows = new SimpleGroupFactory(SCHEMA);
        AtomicFile.write(out, stream -> {
            try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new StreamOutputFile(stream))
                    .withConf(conf)
                    .withType(SCHEMA)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    .build()) {
                for (int i = 0; i < files.size(); i++) {
                    Group row = rows.newGroup().append("file", files.get(i).toString());
                    Group list = row.addGroup("features");
                    for (float v : features.get(i)) {
                        list.addGroup("list").append("element", v);
                    }
                    writer.write(row);
                }
            }
        });
    }

    /**
     * Parquet's output as the stream {@link AtomicFile} gives: no Hadoop file system in between, whose local one
     * reports a full disk as an {@code FSError} (an {@code Error}) and writes {@code .crc} side files.
     */
    private static final class StreamOutputFile implements OutputFile {
        private final OutputStream out;

        StreamOutputFile(OutputStream out) {
            this.out = out;
        }

        @Override
        public PositionOutputStream create(long blockSizeHint) {
            return new PositionOutputStream() {
                private long position;

                @Override
                public long getPos() {
                    return position;
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                    position++;
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    position += len;
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }

                @Override
                public void close() throws IOException {
                    out.close();
                }
            };
        }

        @Override
        public PositionOutputStream createOrOverwrite(long blockSizeHint) {
            return create(blockSizeHint);
        }

        @Override
        public boolean supportsBlockSize() {
            return false;
        }

        @Override
        public long defaultBlockSize() {
            return 0;
        }
    }
}
