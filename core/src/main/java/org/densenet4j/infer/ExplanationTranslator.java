package org.densenet4j.infer;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/**
 * DJL's {@code Translator<Image, Explanation>}: the class activation map of one class ({@code top}, a name or
 * an index) from a block that answers logits and maps, with the same image conversion as
 * {@link DenseNetTranslator}.
 */
public final class ExplanationTranslator implements Translator<Image, Explanation> {

    private final DenseNetTranslator images;
    private final String target;
    private final int blocks;

    /**
     * @param target {@code top}, a class name or an index
     * @param blocks the model's dense blocks (the explained layer is the last)
     */
    public ExplanationTranslator(ModelSpec spec, String target, int blocks) {
        this.images = new DenseNetTranslator(spec);
        this.target = target;
        this.blocks = blocks;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        return images.processInput(ctx, input);
    }

    @Override
    public Explanation processOutput(TranslatorContext ctx, NDList list) {
        ModelSpec spec = images.spec();
        float[] probabilities = list.get(0).softmax(0).toFloatArray();
        int k = Explainer.classIndex(spec, target, probabilities);
        NDArray map = list.get(1).get(k);
        long[] shape = map.getShape().getShape();
        return new Explanation(
                k,
                spec.classNames().get(k),
                probabilities[k],
                Explainer.Method.CAM,
                blocks,
                (int) shape[0],
                (int) shape[1],
                map.toFloatArray());
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }
}
