package org.densenet4j.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.densenet4j.cli.FeatureTable;

/**
 * {@code embed --out FILE.parquet}: one row per image with a {@code file} string and a {@code features} list of
 * floats (Parquet's standard three-level LIST, which Spark reads as {@code array<float>} and pandas as lists). Written
 * to a temporary file beside the target and renamed, so that an interrupted write leaves nothing behind.
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
        Path target = out.toAbsolutePath();
        Path temporary = target.resolveSibling(
                "." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Configuration conf = new Configuration(false);
        // The raw local file system writes no .crc side files.
        conf.setClass("fs.file.impl", RawLocalFileSystem.class, FileSystem.class);
        conf.setBoolean("fs.file.impl.disable.cache", true);
        SimpleGroupFactory rows = new SimpleGroupFactory(SCHEMA);
        try {
            try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(
                            HadoopOutputFile.fromPath(new org.apache.hadoop.fs.Path(temporary.toUri()), conf))
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
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
