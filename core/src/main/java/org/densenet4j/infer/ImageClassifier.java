package org.densenet4j.infer;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.data.UnreadableImageException;
import org.densenet4j.model.DenseNet;

/**
 * Classifies images of any size and colour mode with a trained model: each image is converted as the
 * model expects (size, grey or RGB, the training normalisation) and the logits become probabilities.
 *
 * <p>Thread-safe: each call works in its own NDManager scope.
 */
public final class ImageClassifier {

    private final Block network;
    private final ModelSpec spec;
    private final NDManager manager;
    private final ImageConverter converter;

    /**
     * Folds {@code network}'s current weights for inference ({@link FoldedDenseNet}); the folded copy lives
     * in a sub-manager of {@code manager} and is freed with it.
     *
     * @param manager the manager the network's parameters live on
     */
    /** For a model opened from a file ({@code io.ModelFiles}): a DenseNet, folded, or a TorchScript module. */
    public ImageClassifier(InferenceModel model, NDManager manager) {
        this.network = model.inferenceBlock(manager);
        this.spec = model.spec();
        this.manager = manager;
        this.converter = spec.converter();
    }

    public ImageClassifier(DenseNet network, ModelSpec spec, NDManager manager) {
        this(new TrainedModel(spec, network), manager);
    }

    public ModelSpec spec() {
        return spec;
    }

    /**
     * Classifies one image.
     *
     * @throws IllegalArgumentException if {@code image} is null, which is what {@code ImageIO.read} returns
     *     for a file it cannot decode
     */
    public Classifications classify(BufferedImage image) {
        return classify(Collections.singletonList(image)).get(0);
    }

    /**
     * Reads and classifies an image file (JPEG or PNG).
     *
     * @throws UnreadableImageException naming the file, if it cannot be read or decoded
     */
    public Classifications classify(Path file) throws UnreadableImageException {
        return classify(ImageFiles.read(file));
    }

    /**
     * Classifies a batch in one forward pass; results are in input order.
     *
     * @throws IllegalArgumentException if an element is null, naming its index
     * @throws NonFiniteOutputException if the model answers NaN or infinity
     */
    public List<Classifications> classify(List<BufferedImage> images) {
        return forward(ImageBatch.inputs(spec, converter, images), images.size());
    }

    /**
     * One image as the model takes it: its normalised floats (C, H, W), for {@link #classifyInputs}. A server
     * converts each image as it arrives and queues only these few floats, never the decoded image.
     *
     * @throws IllegalArgumentException if {@code image} is null
     */
    public float[] input(BufferedImage image) {
        return ImageBatch.inputs(spec, converter, Collections.singletonList(image));
    }

    /**
     * Classifies images made by {@link #input} in one forward pass; results are in input order.
     *
     * @throws IllegalArgumentException if an input is not {@link ModelSpec#batchShape} (C, H, W) floats
     * @throws NonFiniteOutputException if the model answers NaN or infinity
     */
    public List<Classifications> classifyInputs(List<float[]> inputs) {
        int size = spec.channels() * spec.height() * spec.width();
        float[] data = new float[inputs.size() * size];
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).length != size) {
                throw new IllegalArgumentException(
                        "input " + i + " holds " + inputs.get(i).length + " values, not the model's " + size);
            }
            System.arraycopy(inputs.get(i), 0, data, i * size, size);
        }
        return forward(data, inputs.size());
    }

    private List<Classifications> forward(float[] data, int count) {
        if (count == 0) {
            return List.of();
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.create(data, spec.batchShape(count));
            NDArray probabilities = network.forward(new ParameterStore(scope, false), new NDList(x), false)
                    .singletonOrThrow()
                    .softmax(1);
            return ImageBatch.classifications(spec, probabilities);
        }
    }
}
