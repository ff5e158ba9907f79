package org.densenet4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import org.densenet4j.model.DenseNet;

/** The training step of the linear probe's fast path: the classifier alone, on cached pooled features. */
final class LinearProbe {

    private LinearProbe() {}

    /** Forward through the classifier, loss, cleared gradients, backward; as {@link TrainingStep#forwardBackward}. */
    static TrainingStep.Pass forwardBackward(Trainer trainer, NDArray features, NDArray labels) {
        DenseNet net = (DenseNet) trainer.getModel().getBlock();
        ParameterStore ps = new ParameterStore(trainer.getManager(), false);
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDArray logits = net.head()
                    .classifier()
                    .forward(ps, new NDList(features), true)
                    .singletonOrThrow();
            NDArray loss = trainer.getLoss().evaluate(new NDList(labels), new NDList(logits));
            TrainingStep.clearGradients(net);
            collector.backward(loss);
            return new TrainingStep.Pass(logits, loss.getFloat());
        }
    }
}
