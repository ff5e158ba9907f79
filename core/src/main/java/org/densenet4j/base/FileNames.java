package org.densenet4j.base;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A part of a file name made from text that came from elsewhere (a class name in a checkpoint, an image's name, a
 * dataset's name): letters and digits of any script, {@code .}, {@code _} and {@code -} are kept, every other
 * character (path separators, controls, spaces, quotes) becomes {@code _}, a leading dot or dash becomes {@code _} (no
 * hidden files, no {@code ..}, nothing a command takes for an option), and a name longer than the bound is cut and given a short hash of the whole text,
 * so that two long names that differ only at the end stay different.
 */
public final class FileNames {

    /** The bound for one part: a file name made of two parts and a short suffix stays under the usual 255 bytes. */
    public static final int MAX_PART_BYTES = 100;

    /** "-" and 8 hex digits of the text's SHA-256. */
    private static final int HASH_SUFFIX_BYTES = 9;

    private FileNames() {}

    /** {@code text} as a file name part of at most {@link #MAX_PART_BYTES} bytes of UTF-8. */
    public static String part(String text) {
        return part(text, MAX_PART_BYTES);
    }

    /**
     * {@code text} as a file name part of at most {@code maxBytes} bytes of UTF-8 (at least 16); an empty text
     * becomes {@code _}.
     */
    public static String part(String text, int maxBytes) {
        if (maxBytes < 16) {
            throw new IllegalArgumentException("a file name part needs at least 16 bytes, got " + maxBytes);
        }
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            boolean kept = Character.isLetterOrDigit(cp) || cp == '.' || cp == '_' || cp == '-';
            b.appendCodePoint(kept ? cp : '_');
        });
        if (b.length() == 0) {
            b.append('_');
        }
        if (b.charAt(0) == '.' || b.charAt(0) == '-') {
            b.setCharAt(0, '_');
        }
        String safe = b.toString();
        if (utf8Length(safe) <= maxBytes) {
            return safe;
        }
        return prefix(safe, maxBytes - HASH_SUFFIX_BYTES) + "-" + hash(text);
    }

    /** The longest prefix of {@code s}, whole code points only, that takes at most {@code maxBytes} of UTF-8. */
    public static String prefix(String s, int maxBytes) {
        int bytes = 0;
        int end = 0;
        while (end < s.length()) {
            int cp = s.codePointAt(end);
            int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > maxBytes) {
                break;
            }
            bytes += n;
            end += Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    /** The bytes {@code s} takes in UTF-8, as file systems count a name. */
    public static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
