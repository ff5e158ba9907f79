package org.densenet4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.densenet4j.data.ImageConverter;
import org.densenet4j.data.Normalization;
import org.densenet4j.data.ResizeAndCrop;
import org.densenet4j.infer.ModelSpec;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.model.ConcatOrder;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.densenet4j.model.Presets;
import org.densenet4j.model.StemType;
import org.densenet4j.model.TestNetworks;
import org.densenet4j.torch.TorchImport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The preprocessing is stored with the model, so every consumer prepares images as the model was trained. */
class PreprocessingRecordTest {

    @TempDir
    Path tmp;

    @Test
    void aCheckpointKeepsItsResizeAndCropAndImagesArePreparedWithIt() throws IOException {
        DenseNetConfig config = TestNetworks.small(LayerType.BOTTLENECK, ConcatOrder.INPUT_FIRST, StemType.CIFAR, 3, 2);
        ResizeAndCrop pipeline = new ResizeAndCrop(40, 32);
        ModelSpec spec = new ModelSpec(
                "small",
                config,
                32,
                32,
                List.of("a", "b"),
                new Normalization(new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.2f, 0.2f, 0.2f}),
                pipeline);
        Path file = tmp.resolve("m.d4j");
        try (NDManager manager = NDManager.newBaseManager()) {
            DenseNet net = new DenseNet(config);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            CheckpointArchive.write(file, new TrainedModel(spec, net), "test");
            ModelSpec read = ModelFiles.open(file, manager).spec();
            assertEquals(pipeline, read.resizeAndCrop());
            assertEquals("Resize(40) + CenterCrop(32)", read.describePreprocessing());

            BufferedImage photo = new BufferedImage(90, 50, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 50; y++) {
                for (int x = 0; x < 90; x++) {
                    photo.setRGB(x, y, (x * 2 << 16) | (y * 5 << 8) | ((x + y) & 0xff));
                }
            }
            byte[] expected = pipeline.apply(ImageConverter.planar(photo, 3), 3, 50, 90);
            assertArrayEquals(expected, read.converter().toPixels(photo));
        }
    }

    @Test
    void torchvisionImagenetWeightsUseTheImagenetPipelineAndCifarOnesAreTakenWhole() {
        assertEquals(ResizeAndCrop.IMAGENET, TorchImport.preprocessing(Presets.named("densenet121")));
        assertNull(TorchImport.preprocessing(Presets.named("densenet-bc-100-12")));
    }
}
