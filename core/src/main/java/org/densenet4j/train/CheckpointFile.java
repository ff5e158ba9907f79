package org.densenet4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.densenet4j.base.TerminalText;
import org.densenet4j.infer.Precision;
import org.densenet4j.io.CheckpointArchive;
import org.densenet4j.io.TrainingState;
import org.densenet4j.model.DenseNet;

/**
 * Training checkpoints: the {@link CheckpointArchive} format with the training state (epochs done, dataset,
 * recipe, history) and the optimizer's momentum, so that a run resumes exactly. Inference reads the same files
 * through {@link CheckpointArchive#read}.
 */
public final class CheckpointFile {

    private static final Gson GSON =
            new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private CheckpointFile() {}

    /** Writes a checkpoint atomically; {@code optimizer} may be null for a weights-only file. */
    public static void write(Path file, Checkpoint checkpoint, DenseNet network, NesterovSgd optimizer)
            throws IOException {
        write(file, checkpoint, network, optimizer, UnaryOperator.identity());
    }

    /** As {@link #write(Path, Checkpoint, DenseNet, NesterovSgd)}, with the stream wrapped (tests inject failures). */
    static void write(
            Path file, Checkpoint checkpoint, DenseNet network, NesterovSgd optimizer, UnaryOperator<OutputStream> wrap)
            throws IOException {
        TrainingState training = new TrainingState(
                checkpoint.epochsCompleted(),
                checkpoint.dataset(),
                GSON.toJsonTree(checkpoint.recipe()),
                GSON.toJsonTree(checkpoint.history()));
        CheckpointArchive.write(
                file,
                checkpoint.spec(),
                training,
                network,
                optimizer == null ? null : momentumByName(network, optimizer),
                wrap);
    }

    /** Reads only the description (no arrays): cheap, for checks and model information. */
    public static Checkpoint readDescription(Path file) throws IOException {
        CheckpointArchive.Description d = CheckpointArchive.readDescription(file);
        try {
            TrainingState training = TrainingState.fromJson(d.json().get(TrainingState.KEY));
            // Gson reads an unknown enum name as null, which the recipe would take for fp32: refuse it instead.
            Object precision = ((Map<?, ?>) training.recipe()).get("precision");
            if (precision != null
                    && java.util.Arrays.stream(Precision.values())
                            .noneMatch(p -> p.name().equals(precision))) {
                throw new IllegalArgumentException(
                        "recipe.precision is " + TerminalText.excerpt(precision, 40) + ", expected FP32 or BF16");
            }
            TrainingRecipe recipe = GSON.fromJson(GSON.toJsonTree(training.recipe()), TrainingRecipe.class);
            List<EpochMetrics> history = GSON.fromJson(
                    GSON.toJsonTree(training.history()), new TypeToken<List<EpochMetrics>>() {}.getType());
            return new Checkpoint(d.spec(), training.epochsCompleted(), training.dataset(), recipe, history);
        } catch (RuntimeException e) {
            throw new IOException(
                    file + ": incomplete or corrupt training state in checkpoint.json ("
                            + TerminalText.excerpt(e.getMessage(), 300) + ")",
                    e);
        }
    }

    /**
     * Loads a checkpoint's weights into an initialised network of the same configuration.
     *
     * @throws IOException if the checkpoint holds another model; the message names both
     */
    public static void loadInto(Path file, DenseNet network, NDManager manager) throws IOException {
        CheckpointArchive.loadInto(file, network, manager);
    }

    /** Restores the optimizer's momentum buffers saved with the checkpoint, if any. */
    public static void restoreMomentum(Path file, DenseNet network, NesterovSgd optimizer, NDManager manager)
            throws IOException {
        Map<String, Parameter> byName = new HashMap<>();
        for (Pair<String, Parameter> p : network.getParameters()) {
            byName.put(p.getKey(), p.getValue());
        }
        try (NDManager scope = manager.newSubManager()) {
            NDList buffers = CheckpointArchive.readMomentum(file, scope);
            if (buffers == null) {
                return;
            }
            for (NDArray b : buffers) {
                Parameter p = byName.get(b.getName());
                if (p == null || !p.getArray().getShape().equals(b.getShape())) {
                    throw new IOException(
                            file + ": momentum buffer " + b.getName() + " does not match a parameter of the model");
                }
                optimizer.restoreMomentum(p.getId(), p.getArray(), b);
            }
        }
    }

    private static NDList momentumByName(DenseNet network, NesterovSgd optimizer) {
        Map<String, NDArray> byId = optimizer.momentumBuffers();
        NDList list = new NDList();
        for (Pair<String, Parameter> p : network.getParameters()) {
            NDArray buffer = byId.get(p.getValue().getId());
            if (buffer != null) {
                buffer.setName(p.getKey());
                list.add(buffer);
            }
        }
        return list;
    }
}
