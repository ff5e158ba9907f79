package org.densenet4j.io;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training state a checkpoint holds under {@code training} in {@code checkpoint.json}: the one schema its writers
 * (training, import) and readers (resuming, evaluation's dataset) share. The recipe and history stay JSON trees here;
 * {@code train.CheckpointFile} gives them their types.
 *
 * @param epochsCompleted whole epochs trained
 * @param dataset the training set's name or folder, or where the weights were imported from
 * @param recipe the training settings as JSON, or null for an import
 * @param history one JSON object per completed epoch
 */
public record TrainingState(int epochsCompleted, String dataset, Object recipe, Object history) {

    /** Where {@code checkpoint.json} keeps it. */
    public static final String KEY = "training";

    private static final String EPOCHS = "epochsCompleted";
    private static final String DATASET = "dataset";
    private static final String RECIPE = "recipe";
    private static final String HISTORY = "history";

    /** The state of imported weights: no epoch trained here, {@code source} as the dataset. */
    public static TrainingState imported(String source) {
        return new TrainingState(0, source, null, List.of());
    }

    /** As {@code checkpoint.json} stores it. */
    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(EPOCHS, epochsCompleted);
        out.put(DATASET, dataset);
        out.put(RECIPE, recipe);
        out.put(HISTORY, history);
        return out;
    }

    /**
     * Reads the state JSON parsed ({@link #toJson}).
     *
     * @throws IllegalArgumentException naming what is missing or malformed
     */
    public static TrainingState fromJson(Object json) {
        if (!(json instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("no training state");
        }
        if (!(m.get(EPOCHS) instanceof Number epochs)) {
            throw new IllegalArgumentException(EPOCHS + " is not a number");
        }
        if (!(m.get(RECIPE) instanceof Map<?, ?> recipe)) {
            throw new IllegalArgumentException(RECIPE + " is not an object");
        }
        return new TrainingState(epochs.intValue(), dataset(m), recipe, m.get(HISTORY));
    }

    /** The dataset a state names, or null if it names none: evaluation asks only for that, of any checkpoint. */
    public static String dataset(Object json) {
        return json instanceof Map<?, ?> m && m.get(DATASET) instanceof String name ? name : null;
    }
}
