package org.densenet4j.infer;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/** DJL's {@code Translator<Image, float[]>}: an image's features, with the same conversion as {@link DenseNetTranslator}. */
public final class FeaturesTranslator implements Translator<Image, float[]> {

    private final DenseNetTranslator images;

    public FeaturesTranslator(ModelSpec spec) {
        this.images = new DenseNetTranslator(spec);
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        return images.processInput(ctx, input);
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        return list.singletonOrThrow().toFloatArray();
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }
}
