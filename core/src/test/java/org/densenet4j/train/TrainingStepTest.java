package org.densenet4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.LayerType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TrainingStepTest {

    @ParameterizedTest
    @EnumSource(LayerType.class)
    void fewStepsLowerTheLossAndGradientsReachEveryParameter(LayerType layerType) {
        DenseNetConfig config = DenseNetConfig.builder()
                .setGrowthRate(4)
                .setBlockLayers(2, 2)
                .optLayerType(layerType)
                .optCompression(0.5)
                .optClasses(3)
                .build();
        ai.djl.engine.Engine.getInstance().setRandomSeed(7); // the same initial weights on every run
        NesterovSgd sgd = NesterovSgd.builder().optLearningRate(0.1f).build();
        try (Model model = Model.newInstance("step-test")) {
            model.setBlock(new DenseNet(config));
            try (Trainer trainer =
                    model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd))) {
                Shape shape = new Shape(8, 3, 12, 12);
                trainer.initialize(shape);
                NDManager m = trainer.getManager();
                NDArray x = m.randomNormal(shape);
                NDArray y = m.create(new float[] {0, 1, 2, 0, 1, 2, 0, 1});
                List<Float> losses = new ArrayList<>();
                for (int step = 0; step < 20; step++) {
                    losses.add(TrainingStep.PLAIN
                            .forwardBackward(trainer, TrainingPass.FLOAT32, x, y)
                            .loss());
                    if (step == 0) {
                        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                            if (p.getValue().requiresGradient()) {
                                float g = p.getValue()
                                        .getArray()
                                        .getGradient()
                                        .abs()
                                        .sum()
                                        .getFloat();
                                assertTrue(g > 0, "no gradient reached " + p.getKey());
                            }
                        }
                    }
                    trainer.step();
                }
                assertTrue(losses.get(losses.size() - 1) < 0.6 * losses.get(0), "losses " + losses);
            }
        }
    }
}
