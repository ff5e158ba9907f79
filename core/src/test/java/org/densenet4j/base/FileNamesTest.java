package org.densenet4j.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** File name parts made from a file's text: safe characters only, no hidden or option-like names, bounded. */
class FileNamesTest {

    @Test
    void separatorsControlsAndLeadingDotsBecomeUnderscores() {
        assertEquals("Ankle_boot", FileNames.part("Ankle boot"));
        assertEquals("_._.._etc_passwd", FileNames.part("../../etc/passwd"));
        assertEquals("_rm_-rf", FileNames.part("-rm -rf"));
        assertEquals("a_b_c_", FileNames.part("a\nb\u001bc\u202e"));
        assertEquals("Größe_鞋", FileNames.part("Größe 鞋"), "letters of any script are kept");
        assertEquals("_", FileNames.part(""));
    }

    @Test
    void longNamesAreCutWithAHashThatKeepsThemApart() {
        String a = "x".repeat(300) + "a";
        String b = "x".repeat(300) + "b";
        String partA = FileNames.part(a);
        assertTrue(FileNames.utf8Length(partA) <= FileNames.MAX_PART_BYTES, partA);
        assertNotEquals(partA, FileNames.part(b));
        assertEquals(partA, FileNames.part(a), "the same text gives the same name");
        String wide = FileNames.part("鞋".repeat(200)); // 3 bytes each: cut on a whole character
        assertTrue(FileNames.utf8Length(wide) <= FileNames.MAX_PART_BYTES, wide);
        assertTrue(wide.matches("鞋+-[0-9a-f]{8}"), wide);
    }
}
