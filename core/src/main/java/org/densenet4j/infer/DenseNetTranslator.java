package org.densenet4j.infer;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.awt.image.BufferedImage;
import org.densenet4j.data.ImageConverter;

/**
 * DJL's {@code Translator<Image, Classifications>} for a densenet4j model: the same conversion as
 * {@link ImageClassifier} (size, grey or RGB, the training normalisation), so a DJL {@code Predictor}
 * gives the same probabilities as {@code densenet4j predict}.
 */
public final class DenseNetTranslator implements Translator<Image, Classifications> {

    private final ModelSpec spec;
    private final ImageConverter converter;

    public DenseNetTranslator(ModelSpec spec) {
        this.spec = spec;
        this.converter = spec.converter();
    }

    public ModelSpec spec() {
        return spec;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        if (!(input.getWrappedImage() instanceof BufferedImage image)) {
            throw new IllegalArgumentException("expected an image from DJL's BufferedImageFactory, got "
                    + input.getWrappedImage().getClass().getName());
        }
        float[] data = new float[spec.channels() * spec.height() * spec.width()];
        spec.normalization().apply(converter.toPixels(image), data, 0);
        NDArray array = ctx.getNDManager().create(data, new Shape(spec.channels(), spec.height(), spec.width()));
        return new NDList(array);
    }

    @Override
    public Classifications processOutput(TranslatorContext ctx, NDList list) {
        NDArray probabilities = list.singletonOrThrow().softmax(0);
        return new Classifications(spec.classNames(), probabilities);
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }
}
