package org.densenet4j.spark;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ValuesType;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.values.ValuesReader;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridDecoder;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.DataPageHeaderV2;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.PageType;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.io.api.Binary;

/**
 * One top-level, non-repeated binary column of one Parquet row group, read cell by cell with every size checked
 * before anything is allocated. Page headers are read from the file one at a time; each declared size is checked
 * against the column chunk and the limits first. A page of one cell whose declared size is over the cell limit is
 * never read at all. Plain-encoded pages compressed with zstd, gzip or nothing are decompressed as a stream, a cell
 * at a time, so a cell over the limit is skipped without being held; other pages (snappy, lz4, dictionary or delta
 * encodings) must be decompressed whole, so each may declare at most {@code maxPageBytes}, or its cells become
 * problems without being read. A malformed page is an {@link IOException}: nothing after it can be trusted.
 */
final class CappedBinaryColumn {

    /** A cell: its bytes, null bytes for a null cell, or the reason it was not read. */
    record Cell(byte[] bytes, String problem) {}

    /** A page header longer than this is malformed: real ones are tens of bytes. */
    private static final int MAX_HEADER_BYTES = 1 << 20;
    /** What a one-cell page holds besides the cell: its definition levels and the cell's length. */
    private static final int ONE_CELL_OVERHEAD = 64;

    private static final Cell NULL = new Cell(null, null);

    private final SeekableInputStream in;
    /** The streamed page's decompressor (zstd's holds native memory until closed). */
    private InputStream pageStream;
    /** zstd's window limit for streamed pages: 32 MB, beyond what Parquet writers use, far below 2 GB. */
    private static final int MAX_ZSTD_WINDOW_LOG = 25;

    private final ColumnDescriptor column;
    private final CompressionCodecName codec;
    private final String what;
    /** The option that sets the cell limit, for messages: images have one, labels a fixed limit. */
    private final String limitOption;

    private final long maxValueBytes;
    private final long maxPageBytes;
    private final long end;
    private long position;
    private long rowsLeft;

    private Dictionary dictionary;
    /** Why dictionary-encoded cells cannot be read (an oversized dictionary page), or null. */
    private String dictionaryProblem;

    private boolean dataSeen;
    private CodecFactory codecs;

    /** The page being read: its cells left, their definition levels (null: all present), and where values come from. */
    private int pageLeft;

    private RunLengthBitPackingHybridDecoder levels;
    private Values values;

    /** Where a page's values come from. */
    private interface Values {
        /** The next cell, or with {@code keep} false, null after passing over it without holding it. */
        Cell next(boolean keep) throws IOException;
    }

    /**
     * @param in the file, positioned anywhere (this column seeks; it must be its own stream)
     * @param fileLength the file's length, which the chunk's declared place must fit in
     * @param what the column's name in messages
     * @param maxValueBytes the largest cell read
     * @param maxPageBytes the largest page decompressed whole
     */
    CappedBinaryColumn(
            SeekableInputStream in,
            long fileLength,
            ColumnChunkMetaData chunk,
            ColumnDescriptor column,
            long rows,
            String what,
            long maxValueBytes,
            long maxPageBytes)
            throws IOException {
        this.in = in;
        this.column = column;
        this.codec = chunk.getCodec();
        this.what = what;
        this.limitOption = what.equals("content") ? " (--max-image-bytes)" : "";
        this.maxValueBytes = maxValueBytes;
        this.maxPageBytes = maxPageBytes;
        this.position = chunk.getStartingPos();
        this.end = position + chunk.getTotalSize();
        this.rowsLeft = rows;
        if (position < 4 || chunk.getTotalSize() < 0 || end > fileLength || end < position) {
            throw new IOException(what + " column chunk [" + position + ", " + end + ") lies outside the file of "
                    + fileLength + " bytes");
        }
        if (column.getMaxRepetitionLevel() != 0 || column.getMaxDefinitionLevel() > 1) {
            throw new IOException(what + " is nested or repeated");
        }
    }

    /** The next row's cell. */
    Cell next() throws IOException {
        return next(true);
    }

    /**
     * Passes over the next {@code rows} rows without holding their cells: a data page whose cells all lie in them is
     * passed over by its header, never read or decompressed; within a page, cells are read past.
     */
    void skip(long rows) throws IOException {
        if (rows < 0 || rows > rowsLeft) {
            throw new IllegalStateException("cannot skip " + rows + " of the " + rowsLeft + " rows left in " + what);
        }
        while (rows > 0) {
            if (pageLeft == 0) {
                rows -= nextPage(rows);
            } else {
                next(false);
                rows--;
            }
        }
    }

    private Cell next(boolean keep) throws IOException {
        if (rowsLeft <= 0) {
            throw new IllegalStateException("no rows left in " + what);
        }
        while (pageLeft == 0) {
            nextPage(0);
        }
        pageLeft--;
        rowsLeft--;
        if (levels != null && levels.readInt() == 0) {
            return NULL;
        }
        return values.next(keep);
    }

    /**
     * Reads the next page's header and starts the page, unless it is a data page of at most {@code skippable} cells:
     * then it is passed over whole.
     *
     * @return the rows passed over
     */
    private long nextPage(long skippable) throws IOException {
        if (position >= end) {
            throw new IOException(what + " column chunk ends with " + rowsLeft + " rows unread");
        }
        in.seek(position);
        LimitedInputStream headerBytes = new LimitedInputStream(in, Math.min(MAX_HEADER_BYTES, end - position));
        PageHeader header;
        try {
            header = Util.readPageHeader(headerBytes);
        } catch (IOException | RuntimeException e) {
            throw new IOException(
                    what + " page header at byte " + position + " is malformed: " + ParquetImageTable.oneLine(e));
        }
        long data = position + headerBytes.count();
        int compressed = header.getCompressed_page_size();
        int uncompressed = header.getUncompressed_page_size();
        if (compressed < 0 || uncompressed < 0 || data + compressed > end) {
            throw new IOException(what + " page at byte " + position + " declares " + compressed + " compressed and "
                    + uncompressed + " bytes, past its column chunk");
        }
        position = data + compressed;
        int cells = header.getType() == PageType.DATA_PAGE && header.getData_page_header() != null
                ? header.getData_page_header().getNum_values()
                : header.getType() == PageType.DATA_PAGE_V2 && header.getData_page_header_v2() != null
                        ? header.getData_page_header_v2().getNum_values()
                        : 0;
        if (cells > 0 && cells <= skippable && cells <= rowsLeft) {
            dataSeen = true;
            rowsLeft -= cells;
            return cells;
        }
        if (header.getType() == PageType.DICTIONARY_PAGE) {
            readDictionary(header, data);
        } else if (header.getType() == PageType.DATA_PAGE) {
            dataSeen = true;
            DataPageHeader h = header.getData_page_header();
            if (h == null) {
                throw new IOException(what + " data page at byte " + data + " has no data page header");
            }
            startPage(
                    h.getNum_values(),
                    encoding(h.getEncoding()),
                    data,
                    compressed,
                    uncompressed,
                    0,
                    true,
                    h.getDefinition_level_encoding());
        } else if (header.getType() == PageType.DATA_PAGE_V2) {
            dataSeen = true;
            DataPageHeaderV2 h = header.getData_page_header_v2();
            if (h == null) {
                throw new IOException(what + " data page at byte " + data + " has no data page header");
            }
            int levelBytes = h.getDefinition_levels_byte_length();
            if (h.getRepetition_levels_byte_length() != 0
                    || levelBytes < 0
                    || levelBytes > compressed
                    || levelBytes > uncompressed) {
                throw new IOException(what + " page at byte " + data + " declares levels its page cannot hold");
            }
            startPage(
                    h.getNum_values(),
                    encoding(h.getEncoding()),
                    data,
                    compressed,
                    uncompressed,
                    levelBytes,
                    h.isIs_compressed(),
                    null);
        }
        // Index pages and pages of unknown types carry no cells: skipped.
        return 0;
    }

    private static Encoding encoding(org.apache.parquet.format.Encoding encoding) throws IOException {
        if (encoding == null) {
            throw new IOException("a data page without an encoding");
        }
        return Encoding.valueOf(encoding.name());
    }

    private void readDictionary(PageHeader header, long data) throws IOException {
        if (dictionary != null || dictionaryProblem != null || dataSeen || header.getDictionary_page_header() == null) {
            throw new IOException(what + " has a misplaced dictionary page at byte " + data);
        }
        int entries = header.getDictionary_page_header().getNum_values();
        int uncompressed = header.getUncompressed_page_size();
        if (uncompressed > maxPageBytes) {
            dictionaryProblem = what + " cell is encoded with a Parquet dictionary page of " + uncompressed
                    + " bytes, over the limit of " + maxPageBytes + " bytes for pages read whole";
            return;
        }
        if (entries < 0 || (long) entries * 4 > uncompressed) {
            throw new IOException(
                    what + " dictionary page declares " + entries + " entries in " + uncompressed + " bytes");
        }
        byte[] bytes = wholePage(data, header.getCompressed_page_size(), uncompressed, true);
        Encoding encoding = encoding(header.getDictionary_page_header().getEncoding());
        try {
            dictionary = encoding.initDictionary(
                    column, new DictionaryPage(BytesInput.from(bytes), uncompressed, entries, encoding));
        } catch (IOException | RuntimeException e) {
            throw new IOException(what + " dictionary page is malformed: " + ParquetImageTable.oneLine(e));
        }
    }

    /**
     * Starts a data page.
     *
     * @param levelBytes a v2 page's definition level bytes, stored before its values and never compressed
     * @param v1Levels a v1 page's level encoding (its levels are inside the compressed data), or null for v2
     */
    private void startPage(
            int cells,
            Encoding encoding,
            long data,
            int compressed,
            int uncompressed,
            int levelBytes,
            boolean isCompressed,
            org.apache.parquet.format.Encoding v1Levels)
            throws IOException {
        if (cells < 0 || cells > rowsLeft) {
            throw new IOException(what + " page at byte " + data + " declares " + cells + " cells where " + rowsLeft
                    + " rows are left");
        }
        boolean optional = column.getMaxDefinitionLevel() == 1;
        if (v1Levels != null && optional && v1Levels != org.apache.parquet.format.Encoding.RLE) {
            throw new IOException(
                    what + " page at byte " + data + ": definition levels in " + v1Levels + " are not supported");
        }
        levels = null;
        pageLeft = cells;
        if (cells == 0) {
            return;
        }
        if (encoding.usesDictionary() && dictionaryProblem != null) {
            values = problem(dictionaryProblem);
            return;
        }
        if (encoding.usesDictionary() && dictionary == null) {
            throw new IOException(what + " page at byte " + data + " is dictionary-encoded without a dictionary");
        }
        if (cells == 1 && uncompressed > maxValueBytes + ONE_CELL_OVERHEAD) {
            // Decided from the page header: the one cell is over the limit, and not a byte of it is read.
            values = problem(what + " cell of about " + uncompressed + " bytes is over the limit of " + maxValueBytes
                    + " bytes" + limitOption);
            return;
        }
        boolean streamed = encoding == Encoding.PLAIN
                && (codec == CompressionCodecName.UNCOMPRESSED
                        || codec == CompressionCodecName.GZIP
                        || codec == CompressionCodecName.ZSTD
                        || !isCompressed);
        if (!streamed && uncompressed > maxPageBytes) {
            values = problem(what + " cell is in a Parquet page of " + uncompressed + " bytes (" + codec + ", "
                    + encoding + "), over the limit of " + maxPageBytes + " bytes for pages read whole");
            return;
        }
        if (levelBytes > 0 && optional) {
            if (levelBytes > 16 + 6L * cells) {
                throw new IOException(what + " page at byte " + data + " declares " + levelBytes
                        + " bytes of levels for " + cells + " cells");
            }
            in.seek(data);
            byte[] raw = new byte[levelBytes];
            in.readFully(raw);
            levels = new RunLengthBitPackingHybridDecoder(1, new ByteArrayInputStream(raw));
        }
        long valuesAt = data + levelBytes;
        int valuesCompressed = compressed - levelBytes;
        int valuesUncompressed = uncompressed - levelBytes;
        if (streamed) {
            in.seek(valuesAt);
            InputStream raw = new LimitedInputStream(in, valuesCompressed);
            LimitedInputStream stream =
                    new LimitedInputStream(isCompressed ? decompressing(raw) : raw, valuesUncompressed);
            if (v1Levels != null && optional) {
                levels = new RunLengthBitPackingHybridDecoder(1, new ByteArrayInputStream(v1LevelBytes(stream, cells)));
            }
            values = keep -> plainCell(stream, keep);
            return;
        }
        byte[] page = wholePage(valuesAt, valuesCompressed, valuesUncompressed, isCompressed);
        ByteBufferInputStream stream = ByteBufferInputStream.wrap(ByteBuffer.wrap(page));
        if (v1Levels != null && optional) {
            levels = new RunLengthBitPackingHybridDecoder(1, new ByteArrayInputStream(v1LevelBytes(stream, cells)));
        }
        ValuesReader reader = encoding.usesDictionary()
                ? encoding.getDictionaryBasedValuesReader(column, ValuesType.VALUES, dictionary)
                : encoding.getValuesReader(column, ValuesType.VALUES);
        try {
            reader.initFromPage(cells, stream);
        } catch (IOException | RuntimeException e) {
            throw new IOException(what + " page at byte " + data + " is malformed: " + ParquetImageTable.oneLine(e));
        }
        values = keep -> decodedCell(reader, keep);
    }

    /** A v1 page's definition levels: a 4-byte length, then that many bytes, at the start of the page's data. */
    private byte[] v1LevelBytes(InputStream stream, int cells) throws IOException {
        byte[] prefix = stream.readNBytes(4);
        if (prefix.length < 4) {
            throw new IOException(what + " page ends inside its definition levels");
        }
        long length = Integer.toUnsignedLong(
                ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getInt());
        if (length > 16 + 6L * cells) {
            throw new IOException(what + " page declares " + length + " bytes of levels for " + cells + " cells");
        }
        byte[] bytes = stream.readNBytes((int) length);
        if (bytes.length < length) {
            throw new IOException(what + " page ends inside its definition levels");
        }
        return bytes;
    }

    /** The next plain-encoded cell of a streamed page: a cell over the limit is skipped, never held. */
    private Cell plainCell(LimitedInputStream stream, boolean keep) throws IOException {
        byte[] prefix = stream.readNBytes(4);
        if (prefix.length < 4) {
            throw new IOException(what + " page ends before its cells do");
        }
        long length = Integer.toUnsignedLong(
                ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getInt());
        if (length > stream.left()) {
            throw new IOException(what + " cell declares " + length + " bytes, past the end of its page");
        }
        if (length > maxValueBytes || !keep) {
            try {
                stream.skipNBytes(length);
            } catch (IOException e) {
                throw new IOException(what + " page ends inside a cell: " + ParquetImageTable.oneLine(e));
            }
            return keep ? tooLarge(length) : null;
        }
        byte[] bytes = stream.readNBytes((int) length);
        if (bytes.length < length) {
            throw new IOException(what + " page ends inside a cell");
        }
        return new Cell(bytes, null);
    }

    private Cell decodedCell(ValuesReader reader, boolean keep) throws IOException {
        Binary value;
        try {
            if (!keep) {
                reader.skip();
                return null;
            }
            value = reader.readBytes();
        } catch (RuntimeException e) {
            throw new IOException(what + " page is malformed: " + ParquetImageTable.oneLine(e));
        }
        if (value.length() > maxValueBytes) {
            return tooLarge(value.length());
        }
        return new Cell(value.getBytes(), null);
    }

    private Cell tooLarge(long length) {
        return new Cell(
                null,
                what + " cell of " + length + " bytes is over the limit of " + maxValueBytes + " bytes" + limitOption);
    }

    private static Values problem(String problem) {
        Cell cell = new Cell(null, problem);
        return keep -> keep ? cell : null;
    }

    private InputStream decompressing(InputStream compressed) throws IOException {
        closePage();
        // Closing a page's decompressor frees its native memory (zstd's window) but must not close the file.
        InputStream shielded = new java.io.FilterInputStream(compressed) {
            @Override
            public void close() {}
        };
        pageStream = switch (codec) {
            case UNCOMPRESSED -> shielded;
            case GZIP -> new GZIPInputStream(shielded);
            case ZSTD -> {
                com.github.luben.zstd.ZstdInputStreamNoFinalizer zstd =
                        new com.github.luben.zstd.ZstdInputStreamNoFinalizer(shielded);
                zstd.setLongMax(MAX_ZSTD_WINDOW_LOG); // a crafted frame cannot ask for a larger window
                yield zstd;
            }
            default -> throw new IllegalStateException("not a streamed codec: " + codec);
        };
        return pageStream;
    }

    /** Frees the current page's decompressor, if any (the next page, or the reader's end). */
    void closePage() {
        if (pageStream != null) {
            try {
                pageStream.close();
            } catch (IOException e) {
                // nothing held beyond native memory, which close() has freed or never will
            }
            pageStream = null;
        }
    }

    /** A page decompressed whole; its declared sizes were checked against the limit by the caller. */
    private byte[] wholePage(long at, int compressed, int uncompressed, boolean isCompressed) throws IOException {
        if (compressed > maxPageBytes + (1 << 20)) {
            throw new IOException(what + " page at byte " + at + " declares " + compressed
                    + " compressed bytes, over the limit of " + maxPageBytes);
        }
        in.seek(at);
        byte[] stored = new byte[compressed];
        in.readFully(stored);
        if (!isCompressed || codec == CompressionCodecName.UNCOMPRESSED) {
            if (compressed != uncompressed) {
                throw new IOException(what + " uncompressed page at byte " + at + " declares two sizes");
            }
            return stored;
        }
        if (codecs == null) {
            codecs = new CodecFactory(new Configuration(false), 0);
        }
        try {
            byte[] page = codecs.getDecompressor(codec)
                    .decompress(BytesInput.from(stored), uncompressed)
                    .toByteArray();
            if (page.length != uncompressed) {
                throw new IOException("it holds " + page.length + " bytes, not the " + uncompressed + " declared");
            }
            return page;
        } catch (IOException | RuntimeException | LinkageError e) {
            throw new IOException(what + " page at byte " + at + " does not decompress (" + codec + "): "
                    + ParquetImageTable.oneLine(e));
        }
    }
}
