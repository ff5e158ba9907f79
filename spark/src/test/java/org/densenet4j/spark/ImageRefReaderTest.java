package org.densenet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageTypeParser;
import org.densenet4j.data.ImageTooLargeException;
import org.densenet4j.data.UnreadableImageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executors' image reading: a file or table cell is refused from its length, and an image from the dimensions its
 * header declares, before anything of that size is allocated; each refusal names the image.
 */
class ImageRefReaderTest {

    private static final Path SAMPLE = Path.of("../models/fashion-mnist/samples/test-0.png");

    @TempDir
    Path tmp;

    @Test
    void anImageDeclaringHugeDimensionsIsRefusedFromItsHeaderAsAFileAndAsACell() throws Exception {
        byte[] bomb = HostileTables.pngDeclaring(100_000, 100_000); // 10 GB of grey pixels, in 57 bytes
        Path file = tmp.resolve("huge.png");
        Files.write(file, bomb);
        Path table = tmp.resolve("cells.parquet");
        HostileTables.write(
                table,
                MessageTypeParser.parseMessageType("message t { optional binary content; }"),
                HostileTables.Layout.of(CompressionCodecName.ZSTD),
                List.of(new Object[] {Files.readAllBytes(SAMPLE)}, new Object[] {bomb}, new Object[] {null}));
        Configuration hadoop = new Configuration();
        ParquetImageTable.Slice slice = ParquetImageTable.plan(
                        table.toString(), hadoop, ParquetImageTable::checkImageColumns)
                .get(0);

        try (ImageRefReader reader = new ImageRefReader(hadoop, 1 << 20)) {
            ImageTooLargeException e = assertThrows(
                    ImageTooLargeException.class,
                    () -> reader.read(ImageRef.file(file.toUri().toString())));
            assertTrue(
                    e.getMessage().contains("huge.png") && e.getMessage().contains("100000x100000 exceeds the limit"),
                    e.getMessage());

            assertEquals(28, reader.read(ImageRef.row(slice, 0)).getWidth());
            e = assertThrows(ImageTooLargeException.class, () -> reader.read(ImageRef.row(slice, 1)));
            assertTrue(
                    e.getMessage().startsWith("row 1 of ") && e.getMessage().contains("exceeds the limit"),
                    e.getMessage());
            UnreadableImageException missing =
                    assertThrows(UnreadableImageException.class, () -> reader.read(ImageRef.row(slice, 2)));
            assertTrue(
                    missing.getMessage().contains("row 2 of ")
                            && missing.getMessage().contains("null content"),
                    missing.getMessage());
        }
        try (ImageRefReader small = new ImageRefReader(hadoop, 100)) {
            UnreadableImageException e = assertThrows(
                    UnreadableImageException.class,
                    () -> small.read(
                            ImageRef.file(SAMPLE.toAbsolutePath().toUri().toString())));
            assertTrue(e.getMessage().contains("over the limit of 100 bytes (--max-image-bytes)"), e.getMessage());
        }
    }
}
