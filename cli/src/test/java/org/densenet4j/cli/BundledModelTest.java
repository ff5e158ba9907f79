package org.densenet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.densenet4j.infer.Precision;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** predict and eval with no model named use the bundled Fashion-MNIST model, as the README promises. */
class BundledModelTest {

    @Test
    void predictWithTheDefaultModelNamesTheSampleImages() {
        Path samples = CheckpointOption.bundledModel().resolveSibling("samples");
        CliRunner r = CliRunner.run("predict", samples.toString(), "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertTrue(json.get("checkpoint").getAsString().endsWith(CheckpointOption.BUNDLED), r.out());
        JsonArray predictions = json.getAsJsonArray("predictions");
        assertEquals(4, predictions.size());
        // Fashion-MNIST test images 0-3 are an ankle boot, a pullover and two trousers.
        String[] expected = {"Ankle boot", "Pullover", "Trouser", "Trouser"};
        for (JsonObject p :
                predictions.asList().stream().map(e -> e.getAsJsonObject()).toList()) {
            String file = Path.of(p.get("file").getAsString()).getFileName().toString();
            int index = Integer.parseInt(file.replaceAll("\\D", ""));
            String label = p.getAsJsonArray("top")
                    .get(0)
                    .getAsJsonObject()
                    .get("label")
                    .getAsString();
            assertEquals(expected[index], label, file);
        }
    }

    /** eval finds the dataset the bundled model was trained on in either precision: bf16 once asked for --dataset. */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void evalFindsTheBundledModelsDatasetInEitherPrecision(Precision precision) {
        Assumptions.assumeTrue(precision.isSupported(), "this CPU has no native " + precision);
        CliRunner r = CliRunner.run(
                "eval", "--json", "--precision", precision.toString(), "--test-limit", "64", "--no-download");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(64, json.get("images").getAsInt(), r.out());
        assertEquals("fashion-mnist", json.get("dataset").getAsString(), r.out());
    }
}
