package org.densenet4j.infer;

import org.densenet4j.model.DenseNet;

/**
 * A trained model ready for inference, however it was stored: what it is and takes ({@link ModelSpec}) and its
 * network with the weights loaded. Read from a densenet4j checkpoint or imported from a PyTorch file
 * ({@code io.ModelFiles}).
 */
public record TrainedModel(ModelSpec spec, DenseNet network) {}
