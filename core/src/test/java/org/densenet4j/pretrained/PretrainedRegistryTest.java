package org.densenet4j.pretrained;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in registry, and a registry file as hostile input. */
class PretrainedRegistryTest {

    @TempDir
    Path tmp;

    @Test
    void holdsTorchvisionsFourImageNetDenseNets() {
        PretrainedRegistry r = PretrainedRegistry.builtIn();
        assertEquals(
                List.of("densenet121:imagenet", "densenet161:imagenet", "densenet169:imagenet", "densenet201:imagenet"),
                r.entries().stream().map(PretrainedEntry::key).toList());
        PretrainedEntry e = r.find("densenet121");
        assertEquals("densenet121-a639ec97.pth", e.fileName());
        assertEquals("a639ec97", e.sha256());
        assertEquals(1000, e.classes().size());
        assertEquals("tench", e.classes().get(0));
        assertEquals("toilet tissue", e.classes().get(999));
        assertEquals(
                "densenet121:imagenet (torchvision 0.14.1 DenseNet121_Weights.IMAGENET1K_V1): 1000 classes "
                        + "(imagenet-1k), Resize(256) + CenterCrop(224); reported accuracy top-1 74.434%, "
                        + "top-5 91.972%",
                e.card());
        assertEquals(0.485f, e.normalization().mean()[0]);
        assertEquals(0.225f, e.normalization().std()[2]);
    }

    @Test
    void aFileAddsAndReplacesEntries() throws IOException {
        PretrainedRegistry r = PretrainedRegistry.builtIn()
                .withFile(
                        file(
                                """
                {"weights": [
                  {"model": "densenet121", "name": "imagenet", "url": "http://mirror.local/m/densenet121-a639ec97.pth",
                   "sha256": "A639EC97", "layout": "torchvision", "classes": "imagenet-1k"},
                  {"model": "cifar-densenet121", "name": "cifar10", "url": "https://x.org/c.pth",
                   "sha256": "0123456789abcdef", "classes": ["a", "b"]}]}
                """),
                        "test");
        assertEquals("mirror.local", r.find("densenet121", "imagenet").url().getHost());
        assertEquals("a639ec97", r.find("densenet121", "imagenet").sha256());
        PretrainedEntry added = r.find("cifar-densenet121:cifar10");
        assertEquals(List.of("a", "b"), added.classes());
        assertEquals("pytorch-cifar", added.layout().cliName());
        assertEquals(32, added.preprocessing().crop());
        assertEquals(5, r.entries().size());
    }

    @Test
    void refusesABadFileNamingTheFileAndField() throws IOException {
        String good = "\"model\": \"densenet121\", \"name\": \"x\", \"url\": \"http://h/d.pth\", "
                + "\"sha256\": \"0123abcd\", \"classes\": \"imagenet-1k\"";
        assertRefused("not JSON", "{");
        assertRefused("expected {\"weights\"", "[]");
        assertRefused("weights[0]: expected an object", "{\"weights\": [1]}");
        assertRefused("weights[0].model: ", entry(good.replace("densenet121", "resnet50")));
        assertRefused("weights[0].name: expected lower-case", entry(good.replace("\"x\"", "\"../x\"")));
        assertRefused("weights[0].url: expected an http or https URL", entry(good.replace("http://h", "file://h")));
        assertRefused("weights[0].url: expected a URL ending", entry(good.replace("d.pth", "..")));
        assertRefused("weights[0].url: expected a URL ending", entry(good.replace("d.pth", "d.zip")));
        assertRefused("weights[0].sha256: expected 8 to 64 hex digits", entry(good.replace("0123abcd", "0123")));
        assertRefused("weights[0].sha256: expected 8 to 64 hex digits", entry(good.replace("0123abcd", "xyz12345")));
        assertRefused("weights[0].layout: ", entry(good + ", \"layout\": \"keras\""));
        assertRefused("weights[0].classes: expected \"imagenet-1k\"", entry(good.replace("imagenet-1k", "coco")));
        assertRefused("weights[0].classes[1]: expected a name", entry(good.replace("\"imagenet-1k\"", "[\"a\", 3]")));
        assertRefused("weights[0].classes: expected 1 to", entry(good.replace("\"imagenet-1k\"", "[]")));
        assertRefused("weights[0].crop: expected a number in 1..4096", entry(good + ", \"crop\": 1e9"));
        assertRefused("weights[0].crop: expected a whole number", entry(good + ", \"crop\": 224.5"));
        assertRefused("weights[0].resize: expected a number in 224..4096", entry(good + ", \"resize\": 100"));
        assertRefused("weights[0].std: expected a list of 3 positive", entry(good + ", \"std\": [1, 0, 1]"));
        assertRefused("weights[0].mean: expected a list of 3", entry(good + ", \"mean\": [1, \"a\", 1]"));
        assertRefused("weights[0].top1: expected a number in 0..100", entry(good + ", \"top1\": 101"));
        assertRefused("weights[0]: unknown field \"md5\"", entry(good + ", \"md5\": \"00\""));
        assertRefused("weights[0].url: missing", entry(good.replace("\"url\"", "\"source\"")));
    }

    @Test
    void refusesAFileTooLargeOrMissing() throws IOException {
        Path big = tmp.resolve("big.json");
        Files.write(big, new byte[(int) PretrainedRegistry.MAX_FILE_BYTES + 1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PretrainedRegistry.builtIn()
                .withFile(big, "F"));
        assertTrue(e.getMessage().startsWith("F: 4194305 bytes, more than"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PretrainedRegistry.builtIn()
                .withFile(tmp.resolve("none.json"), "F"));
        assertEquals("F: no such file", e.getMessage());
    }

    @Test
    void anUnknownNameListsWhatTheRegistryHolds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PretrainedRegistry.builtIn()
                .find("densenet264", "imagenet"));
        assertTrue(e.getMessage().contains("densenet121:imagenet, densenet161:imagenet"), e.getMessage());
    }

    private static String entry(String fields) {
        return "{\"weights\": [{" + fields + "}]}";
    }

    private void assertRefused(String expected, String json) throws IOException {
        Path f = file(json);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PretrainedRegistry.builtIn()
                .withFile(f, "F " + f));
        assertTrue(e.getMessage().startsWith("F " + f + ": " + expected), e.getMessage() + " for " + json);
    }

    private Path file(String json) throws IOException {
        Path f = Files.createTempFile(tmp, "registry", ".json");
        Files.writeString(f, json);
        return f;
    }
}
