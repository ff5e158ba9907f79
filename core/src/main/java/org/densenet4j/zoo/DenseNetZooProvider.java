package org.densenet4j.zoo;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/** Registers the densenet4j model zoo with DJL through {@code META-INF/services}. */
public final class DenseNetZooProvider implements ZooProvider {

    @Override
    public ModelZoo getModelZoo() {
        return new DenseNetModelZoo();
    }
}
