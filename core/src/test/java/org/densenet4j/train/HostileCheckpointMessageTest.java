package org.densenet4j.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.densenet4j.io.ModelFiles;
import org.densenet4j.zoo.BundledModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint.json holding megabytes in one field is refused with a one-line message of a few hundred characters
 * naming the file, whichever field holds them: the file's values are quoted short, never whole.
 */
class HostileCheckpointMessageTest {

    private static final String HUGE = "x".repeat(3_000_000);

    @TempDir
    Path tmp;

    private Path edited(String name, UnaryOperator<String> json) throws IOException {
        Path out = tmp.resolve(name);
        try (ZipFile in = new ZipFile(BundledModel.path().toFile());
                ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                zip.putNextEntry(new ZipEntry(e.getName()));
                try (InputStream data = in.getInputStream(e)) {
                    byte[] bytes = data.readAllBytes();
                    if (e.getName().equals("checkpoint.json")) {
                        String edited = json.apply(new String(bytes, StandardCharsets.UTF_8));
                        bytes = edited.getBytes(StandardCharsets.UTF_8);
                    }
                    zip.write(bytes);
                }
                zip.closeEntry();
            }
        }
        return out;
    }

    private static String once(String json, String from, String to) {
        assertTrue(json.contains(from), from);
        return json.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
    }

    @Test
    void aMegabyteFieldAnywhereMakesAShortOneLineMessage() throws IOException {
        String zeros = "0,".repeat(1_500_000) + "0";
        Map<String, UnaryOperator<String>> variants = new LinkedHashMap<>();
        variants.put("name", j -> once(j, "\"densenet-bc-40-12\"", "\"" + HUGE + "\""));
        variants.put("stem", j -> once(j, "\"CIFAR\"", "\"" + HUGE + "\""));
        variants.put("format", j -> once(j, "\"densenet4j-checkpoint\"", "\"" + HUGE + "\""));
        variants.put("mean", j -> once(j, "0.2850009", zeros));
        variants.put("std", j -> once(j, "0.35252732", "-" + zeros.replace(",", ",-")));
        variants.put("key", j -> once(j, "\"version\": 1,", "\"version\": 1, \"" + HUGE + "\": ,"));
        variants.put("version", j -> once(j, "\"version\": 1,", "\"version\": \"" + HUGE + "\","));
        for (Map.Entry<String, UnaryOperator<String>> v : variants.entrySet()) {
            Path file = edited(v.getKey() + ".d4j", v.getValue());
            try (NDManager manager = NDManager.newBaseManager()) {
                Exception e = assertThrows(Exception.class, () -> ModelFiles.open(file, manager), v.getKey());
                String m = String.valueOf(e.getMessage());
                String head = m.substring(0, Math.min(300, m.length()));
                assertTrue(e instanceof IOException, v.getKey() + ": " + e.getClass() + " " + head);
                assertTrue(m.contains(file.toString()), v.getKey() + ": " + head);
                assertTrue(m.length() < 1000, v.getKey() + ": " + m.length() + " characters: " + head);
                assertFalse(m.contains("\n"), v.getKey() + ": " + head);
            }
        }
    }

    @Test
    void aMegabyteTrainingSettingMakesAShortMessage() throws IOException {
        Path file = edited("precision.d4j", j -> once(j, "\"seed\":", "\"precision\": \"" + HUGE + "\", \"seed\":"));
        IOException e = assertThrows(IOException.class, () -> CheckpointFile.readDescription(file));
        String head = e.getMessage().substring(0, Math.min(300, e.getMessage().length()));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("recipe.precision"), head);
        assertTrue(e.getMessage().length() < 1000, e.getMessage().length() + " characters: " + head);
    }
}
