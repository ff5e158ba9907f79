package org.densenet4j.base;

/**
 * Text that came from a file (class and model names in a checkpoint or archive, image file names, messages that
 * quote them), made safe to print for people: a newline in a class name must not fake an output line, and an
 * ANSI escape must not reach the terminal. Control characters, line and paragraph separators and the bidirectional
 * overrides that reorder what a terminal shows are written as escapes ({@code \n}, {@code \t}, {@code \x1b},
 * {@code \u202e}); a backslash is doubled, so that an escape is never ambiguous. Everything else, letters of any
 * script included, is printed as it is.
 */
public final class TerminalText {

    private TerminalText() {}

    /** {@code text} with every character a terminal would act on escaped; "null" for null. */
    public static String escape(Object text) {
        String s = String.valueOf(text);
        int first = 0;
        while (first < s.length() && !needsEscape(s.charAt(first))) {
            first++;
        }
        if (first == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, first);
        for (int i = first; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (needsEscape(c)) {
                        b.append(c <= 0xff ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    /**
     * A value from a file as a message quotes it: its text cut to {@code max} characters, "..." marking the cut, so
     * that a field of megabytes still makes a one-line message ("null" for null).
     */
    public static String excerpt(Object value, int max) {
        String s = String.valueOf(value);
        return s.length() > max ? s.substring(0, max) + "..." : s;
    }

    /**
     * JSON as Gson writes it, with the characters Gson leaves raw but a terminal acts on (DEL, the C1 controls,
     * bidirectional overrides) written as {@code \}{@code uXXXX} escapes. Gson already escapes the C0 controls, so
     * such characters can only stand inside strings, where the escape means the same character: a JSON reader sees
     * exactly the same values.
     */
    public static String json(String json) {
        StringBuilder b = null;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            boolean escape = c >= 0x7f && needsEscape(c);
            if (escape && b == null) {
                b = new StringBuilder(json.length() + 16).append(json, 0, i);
            }
            if (b != null) {
                b.append(escape ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return b == null ? json : b.toString();
    }

    private static boolean needsEscape(char c) {
        return c == '\\'
                || Character.getType(c) == Character.CONTROL // C0, DEL and C1
                || c == '\u2028'
                || c == '\u2029'
                || c == '\u061c'
                || c == '\u200e'
                || c == '\u200f'
                || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069');
    }
}
