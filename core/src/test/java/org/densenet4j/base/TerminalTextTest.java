package org.densenet4j.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a file says reaches the terminal as visible text: no fake lines, no escape sequences, JSON unchanged. */
class TerminalTextTest {

    static final String HOSTILE =
            "Bag\nfake.png: Sneaker 100.0%\r\u001b[2J\u001b]0;title\u0007\u009b31m\u202etxt.exe\\";

    @Test
    void controlsAndOverridesAreEscapedAndTheRestKept() {
        assertEquals(
                "Bag\\nfake.png: Sneaker 100.0%\\r\\x1b[2J\\x1b]0;title\\x07\\x9b31m\\u202etxt.exe\\\\",
                TerminalText.escape(HOSTILE));
        String plain = "Ankle boot, Größe 42, 鞋";
        assertSame(plain, TerminalText.escape(plain), "ordinary text of any script is left alone");
        assertEquals("tab\\there", TerminalText.escape("tab\there"));
        assertEquals("null", TerminalText.escape(null));
    }

    @Test
    void jsonReadsBackExactlyAndHoldsNothingATerminalActsOn() {
        Gson gson = new GsonBuilder().setPrettyPrinting().create();
        Map<String, Object> value = Map.of("classes", List.of(HOSTILE, "Ankle boot"));
        String json = TerminalText.json(gson.toJson(value));
        assertEquals(value, gson.fromJson(json, Map.class));
        assertTrue(json.chars().noneMatch(c -> c == 0x1b || c == 0x9b || c == 0x07 || c == 0x202e), json);
        assertTrue(json.contains("\n  "), "pretty-printing's own line breaks stay");
    }
}
