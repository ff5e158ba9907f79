package org.densenet4j.io;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.*;
import org.densenet4j.infer.*;
import org.junit.jupiter.api.Test;

class DebugRawTest {
    @Test
    void debug() throws Exception {
        Path dir = Files.createTempDirectory("dbg");
        try (NDManager m = NDManager.newBaseManager()) {
            ai.djl.engine.Engine.getInstance().setRandomSeed(3);
            TrainedModel bundled = ModelFiles.open(org.densenet4j.zoo.BundledModel.path(), m);
            Files.copy(Path.of("/tmp/main.pt"), dir.resolve("model.pt"));
            NDArray x = m.randomNormal(new Shape(2, 1, 28, 28));
            ParameterStore ps = new ParameterStore(m, false);
            System.out.println("full "
                    + java.util.Arrays.toString(bundled.inferenceBlock(m)
                            .forward(ps, new NDList(x), false)
                            .singletonOrThrow()
                            .toFloatArray()));
            try (Model raw = Model.newInstance("model", Device.cpu(), "PyTorch")) {
                raw.load(dir, "model");
                NDArray in = raw.getNDManager().create(x.toFloatArray(), x.getShape());
                System.out.println("raw  "
                        + java.util.Arrays.toString(raw.getBlock()
                                .forward(new ParameterStore(raw.getNDManager(), false), new NDList(in), false)
                                .singletonOrThrow()
                                .toFloatArray()));
            }
        }
    }
}
