package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pages crafted byte by byte whose run and block headers declare gigabytes that parquet-mr's decoders would allocate
 * before reading a value (each test ended the JVM with an OutOfMemoryError): their rows are skipped and named, as any
 * malformed page's are. Values in the encodings they abuse still read as written.
 */
class HostilePagesTest {

    @TempDir
    Path tmp;

    @Test
    void definitionLevelsDeclaringTwoBillionValuesInOneRunAreMalformed() throws Exception {
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        HostileTables.varint(run, ((long) ((1 << 28) - 1) << 1) | 1); // a bit-packed run of 2^28 - 1 groups of 8
        run.write(0xff);
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        page.writeBytes(HostileTables.lengthPrefix(run.size()));
        page.writeBytes(run.toByteArray());
        page.writeBytes(HostileTables.lengthPrefix(3));
        page.writeBytes("cat".getBytes(StandardCharsets.UTF_8));
        assertSkipped(read(null, 0, Encoding.PLAIN, page.toByteArray()), "bit-packed run declares 2147483640 values");
    }

    @Test
    void dictionaryIndicesDeclaringTwoBillionValuesInOneRunAreMalformed() throws Exception {
        ByteArrayOutputStream dictionary = new ByteArrayOutputStream();
        dictionary.writeBytes(HostileTables.lengthPrefix(3));
        dictionary.writeBytes("cat".getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        page.writeBytes(HostileTables.allPresent(1));
        page.write(1); // the indices' bit width
        HostileTables.varint(page, ((long) ((1 << 28) - 1) << 1) | 1);
        page.write(0);
        assertSkipped(
                read(dictionary.toByteArray(), 1, Encoding.PLAIN_DICTIONARY, page.toByteArray()),
                "bit-packed run declares 2147483640 values");
    }

    @Test
    void aDictionaryOfMillionsOfEmptyEntriesCountsWhatItsEntriesHold() throws Exception {
        // 8 MB of empty entries is within the 64 MB a label page may take, but held as 2 million objects takes 85 MB.
        int entries = 1 << 21;
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        page.writeBytes(HostileTables.allPresent(1));
        page.write(21); // the indices' bit width
        HostileTables.varint(page, 1 << 1); // a run of one index, 0
        page.write(new byte[3], 0, 3);
        TrainingTable.Labels labels =
                read(new byte[entries * 4], entries, Encoding.PLAIN_DICTIONARY, page.toByteArray());
        assertEquals(1, labels.skipped());
        assertTrue(
                labels.problems()
                        .get(0)
                        .contains("dictionary page of 2097152 entries in 8388608 bytes, over the limit"),
                labels.problems().toString());
    }

    @Test
    void deltaLengthsDeclaringTwoBillionValuesAreMalformed() throws Exception {
        byte[] page = deltaPage(new long[] {128, 4, (1L << 31) - 200, 0});
        assertSkipped(
                read(null, 0, Encoding.DELTA_LENGTH_BYTE_ARRAY, page), "declares 2147483448 values in a page of 1");
    }

    @Test
    void deltaBlocksOfAHundredMillionMiniBlocksAreMalformed() throws Exception {
        byte[] page = deltaPage(new long[] {1L << 30, 1L << 27, 1, 0});
        assertSkipped(
                read(null, 0, Encoding.DELTA_LENGTH_BYTE_ARRAY, page),
                "blocks of 1073741824 values in 134217728 mini-blocks");
    }

    @Test
    void aDeltaPrefixLongerThanTheValueBeforeIsMalformed() throws Exception {
        // Prefix lengths (one: 2^31 - 2, as zigzag), then suffix lengths (one: 0), and no suffix bytes.
        byte[] page = deltaPage(new long[] {128, 4, 1, 2L * (Integer.MAX_VALUE - 1), 128, 4, 1, 0});
        assertSkipped(
                read(null, 0, Encoding.DELTA_BYTE_ARRAY, page),
                "declares 2147483646 bytes in common with a value of 0");
    }

    @Test
    void deltaEncodedLabelsShareTheirPrefixesAcrossALabelOverTheLimit() throws Exception {
        Path table = tmp.resolve("delta.parquet");
        String overLimit = "x".repeat(TrainingTable.MAX_LABEL_BYTES + 100);
        String sharing = "x".repeat(TrainingTable.MAX_LABEL_BYTES - 1) + "y"; // its prefix is the long label's
        List<String> labels = List.of("class-a", "class-b", overLimit, sharing, overLimit + "z", "class-c");
        List<Object[]> rows = new ArrayList<>();
        for (String label : labels) {
            rows.add(new Object[] {"x.png", label});
        }
        HostileTables.write(
                table,
                MessageTypeParser.parseMessageType(
                        "message t { optional binary path (STRING); optional binary label (STRING); }"),
                new HostileTables.Layout(
                        CompressionCodecName.SNAPPY, false, ParquetProperties.WriterVersion.PARQUET_2_0),
                rows);
        Configuration hadoop = new Configuration();
        try (ParquetFileReader file = ParquetFileReader.open(
                HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(table.toUri()), hadoop))) {
            assertTrue(
                    file.getFooter()
                            .getBlocks()
                            .get(0)
                            .getColumns()
                            .get(1)
                            .getEncodings()
                            .contains(Encoding.DELTA_BYTE_ARRAY),
                    "parquet-mr's v2 writer encodes strings as DELTA_BYTE_ARRAY without a dictionary");
        }
        List<ParquetImageTable.Slice> slices =
                ParquetImageTable.plan(table.toString(), hadoop, ParquetImageTable::checkTrainingSchema);
        TrainingTable.Labels read = TrainingTable.read(0, slices.get(0), hadoop);
        assertEquals(List.of("class-a", "class-b", sharing, "class-c"), Arrays.asList(read.names()));
        assertEquals(2, read.skipped());
        assertTrue(read.problems().get(0).contains("row 2 of ")
                && read.problems().get(0).contains("over the limit"));
    }

    /** The labels of a table whose one row's label page is {@code page}. */
    private TrainingTable.Labels read(byte[] dictionary, int entries, Encoding encoding, byte[] page) throws Exception {
        Path table = tmp.resolve("crafted.parquet");
        HostileTables.labelPage(table, 1, dictionary, entries, encoding, page);
        Configuration hadoop = new Configuration();
        List<ParquetImageTable.Slice> slices =
                ParquetImageTable.plan(table.toString(), hadoop, ParquetImageTable::checkTrainingSchema);
        return TrainingTable.read(0, slices.get(0), hadoop);
    }

    /** A one-cell page with its levels, then the given varints (headers of delta-encoded streams). */
    private static byte[] deltaPage(long[] varints) {
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        page.writeBytes(HostileTables.allPresent(1));
        for (long v : varints) {
            HostileTables.varint(page, v);
        }
        return page.toByteArray();
    }

    private static void assertSkipped(TrainingTable.Labels labels, String expected) {
        assertEquals(1, labels.skipped());
        assertEquals(0, labels.names().length);
        assertTrue(
                labels.problems().get(0).contains("row group 0")
                        && labels.problems().get(0).contains(expected),
                labels.problems().toString());
    }
}
