package org.densenet4j.train;

import java.nio.file.Path;
import java.util.List;
import org.densenet4j.infer.EvaluationReport;
import org.densenet4j.infer.ModelSpec;

/**
 * The outcome of a training run.
 *
 * @param spec the trained model's description
 * @param history one entry per epoch, resumed epochs included
 * @param finalEvaluation the test-set evaluation after the last epoch
 * @param checkpoint the checkpoint holding the final weights
 * @param trainingSeconds wall time of the training passes in this process (evaluation excluded)
 */
public record TrainingResult(
        ModelSpec spec,
        List<EpochMetrics> history,
        EvaluationReport finalEvaluation,
        Path checkpoint,
        double trainingSeconds) {}
