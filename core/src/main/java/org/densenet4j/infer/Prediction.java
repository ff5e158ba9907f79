package org.densenet4j.infer;

import ai.djl.modality.Classifications;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One label with its probability: the top-k answer that predict, serve and Spark all give, in JSON as
 * {@code {"label": ..., "probability": ...}}.
 */
public record Prediction(String label, double probability) {

    /** The {@code k} most probable labels of {@code c} (all of them if it has fewer), most probable first. */
    public static List<Prediction> topK(Classifications c, int k) {
        return c.topK(Math.min(k, c.getClassNames().size())).stream()
                .map(item -> new Prediction(item.getClassName(), item.getProbability()))
                .collect(Collectors.toList());
    }
}
