package org.densenet4j.docs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java snippet in the README and in {@code docs/} is a piece of the examples project, which ./run-tests compiles
 * against the installed library and runs: so a snippet cannot drift from the API without a test failing.
 */
class ReadmeSnippetsTest {

    static final Path ROOT = Path.of("..");

    @Test
    void everyJavaSnippetInTheDocumentationIsCodeOfTheExamplesProject() throws IOException {
        List<List<String>> snippets = new ArrayList<>();
        for (Path page : pages()) {
            snippets.addAll(javaSnippets(Files.readAllLines(page)));
        }
        assertFalse(snippets.isEmpty(), "the documentation has Java snippets");
        List<List<String>> examples;
        try (Stream<Path> files = Files.walk(ROOT.resolve("examples/src/main/java"))) {
            examples = files.filter(f -> f.toString().endsWith(".java"))
                    .map(ReadmeSnippetsTest::trimmedLines)
                    .collect(Collectors.toList());
        }
        for (List<String> snippet : snippets) {
            assertTrue(
                    examples.stream().anyMatch(lines -> contains(lines, snippet)),
                    "this documentation snippet is not in examples/src/main/java:\n" + String.join("\n", snippet));
        }
    }

    /** README.md and every Markdown page under docs/. */
    static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(f -> f.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /** The non-blank lines of each ```java block, trimmed (indentation differs between README and code). */
    static List<List<String>> javaSnippets(List<String> readme) {
        List<List<String>> out = new ArrayList<>();
        List<String> current = null;
        for (String line : readme) {
            if (current == null && line.trim().equals("```java")) {
                current = new ArrayList<>();
            } else if (current != null && line.trim().equals("```")) {
                out.add(current);
                current = null;
            } else if (current != null && !line.isBlank()) {
                current.add(line.trim());
            }
        }
        return out;
    }

    private static List<String> trimmedLines(Path file) {
        try {
            return Files.readAllLines(file).stream()
                    .filter(l -> !l.isBlank())
                    .map(String::trim)
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean contains(List<String> lines, List<String> snippet) {
        return java.util.Collections.indexOfSubList(lines, snippet) >= 0;
    }
}
