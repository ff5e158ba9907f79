package org.densenet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.densenet4j.base.StrictJson;
import org.densenet4j.data.Normalization;
import org.densenet4j.model.Presets;
import org.junit.jupiter.api.Test;

/** A model description read back from a file is checked, and its values quoted short in messages. */
class ModelSpecDescriptionTest {

    private static final ModelSpec SPEC = new ModelSpec(
            "densenet-bc-40-12",
            Presets.named("densenet-bc-40-12").config(3),
            32,
            32,
            List.of("a", "b", "c"),
            new Normalization(new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}),
            null);

    /** {@code d} written as JSON and read back as a model file's reader reads it. */
    private static ModelSpec read(Map<String, Object> d) {
        Map<?, ?> json = (Map<?, ?>) StrictJson.parse(new Gson().toJson(d));
        return ModelSpec.fromDescription(
                json.get("model"), json.get("input"), json.get("classes"), json.get("normalization"));
    }

    @Test
    void aDescriptionReadsBackAsTheSameSpec() {
        ModelSpec back = read(SPEC.describe());
        assertEquals(SPEC.modelName(), back.modelName());
        assertEquals(SPEC.config(), back.config());
        assertEquals(SPEC.classNames(), back.classNames());
    }

    @Test
    void aHugeNameOrSettingIsRefusedAndQuotedShort() {
        Map<String, Object> d = new LinkedHashMap<>(SPEC.describe());
        Map<String, Object> model = new LinkedHashMap<>(SPEC.describeModel());
        model.put("name", "n".repeat(3_000_000));
        d.put("model", model);
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class, () -> read(d));
        assertTrue(
                name.getMessage().contains("3000000 characters")
                        && name.getMessage().length() < 300,
                name.getMessage().substring(0, Math.min(300, name.getMessage().length())));

        Map<String, Object> config = new LinkedHashMap<>(SPEC.config().describe());
        config.put("stem", "s".repeat(3_000_000));
        model.put("name", "densenet-bc-40-12");
        model.put("config", config);
        IllegalArgumentException setting = assertThrows(IllegalArgumentException.class, () -> read(d));
        assertTrue(
                setting.getMessage().contains("stem") && setting.getMessage().length() < 400,
                setting.getMessage()
                        .substring(0, Math.min(400, setting.getMessage().length())));
    }
}
