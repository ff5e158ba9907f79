package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

class SummaryCommandTest {

    @Test
    void densenet121SummaryPrintsPaperTotals() {
        CliRunner r = CliRunner.run("summary", "--model", "densenet121");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("parameters: 7,978,856"), r.out());
        assertTrue(r.out().contains("MACs: 2.83 G"), r.out());
        assertTrue(r.out().contains("denseblock4   1024x7x7"), r.out());
    }

    @Test
    void jsonHasIntegerTotalsAndOneRowPerStage() {
        CliRunner r = CliRunner.run("summary", "--model", "densenet-bc-100-12", "--classes", "100", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(800032L, json.get("parameters").getAsLong());
        assertTrue(json.get("macs").getAsLong() > 287_000_000L);
        assertEquals(7, json.getAsJsonArray("stages").size());
        assertEquals(
                "head",
                json.getAsJsonArray("stages")
                        .get(6)
                        .getAsJsonObject()
                        .get("name")
                        .getAsString());
    }

    @Test
    void greyInputChangesOnlyTheStem() {
        CliRunner r = CliRunner.run("summary", "--model", "densenet-bc-100-12", "--input", "1x28x28", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(769162L - 2 * 24 * 9, json.get("parameters").getAsLong());
    }

    @Test
    void unknownModelIsAUsageErrorListingValidNames() {
        CliRunner r = CliRunner.run("summary", "--model", "resnet50");
        assertEquals(2, r.exitCode());
        assertTrue(
                r.err().contains("resnet50")
                        && r.err().contains("densenet121")
                        && r.err().contains("cifar-densenet161"),
                r.err());
    }

    @Test
    void tooSmallInputIsAUsageErrorNamingTheMinimum() {
        CliRunner r = CliRunner.run("summary", "--model", "densenet121", "--input", "3x16x16");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("29x29"), r.err());
    }

    @Test
    void malformedInputIsAUsageError() {
        assertEquals(
                2,
                CliRunner.run("summary", "--model", "densenet121", "--input", "224x224")
                        .exitCode());
        assertEquals(2, CliRunner.run("summary").exitCode());
    }

    @Test
    void pretrainedWeightsByNameGiveTheirClassesInputAndCard() {
        CliRunner r = CliRunner.run("summary", "--model", "densenet161", "--weights", "imagenet", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("densenet161:imagenet", json.get("weights").getAsString());
        assertEquals(1000, json.get("classes").getAsInt());
        assertEquals("[3,224,224]", json.get("input").toString());
        assertEquals(28_681_000L, json.get("parameters").getAsLong()); // torchvision's DenseNet161_Weights
        assertTrue(json.get("card").getAsString().contains("top-1"), json.toString());

        CliRunner text = CliRunner.run("summary", "--model", "densenet121", "--weights", "imagenet");
        assertEquals(0, text.exitCode(), text.err());
        assertTrue(text.out().startsWith("densenet121:imagenet"), text.out());
        assertTrue(text.out().contains("parameters: 7,978,856"), text.out());
    }

    @Test
    void weightsThatAreNotANameOrDoNotFitTheModelAreUsageErrors() {
        CliRunner file = CliRunner.run("summary", "--model", "densenet121", "--weights", "model.pth");
        assertEquals(2, file.exitCode());
        assertTrue(file.err().contains("model.pth") && file.err().contains("by name"), file.err());

        CliRunner model = CliRunner.run("summary", "--model", "densenet-bc-100-12", "--weights", "imagenet");
        assertEquals(2, model.exitCode());
        assertTrue(model.err().contains("densenet121:imagenet"), model.err());

        CliRunner classes =
                CliRunner.run("summary", "--model", "densenet121", "--weights", "imagenet", "--classes", "10");
        assertEquals(2, classes.exitCode());
        assertTrue(classes.err().contains("1000 classes"), classes.err());
    }
}
