package org.densenet4j.zoo;

import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelZoo;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/** The densenet4j model zoo, group id {@code org.densenet4j}, one loader ({@code densenet}). */
public final class DenseNetModelZoo extends ModelZoo {

    public static final String GROUP_ID = "org.densenet4j";

    private final DenseNetModelLoader loader = new DenseNetModelLoader();

    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    @Override
    public Collection<ModelLoader> getModelLoaders() {
        return List.of(loader);
    }

    @Override
    public ModelLoader getModelLoader(String name) {
        return loader.getArtifactId().equals(name) ? loader : null;
    }

    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }
}
