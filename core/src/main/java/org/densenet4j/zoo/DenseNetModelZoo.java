package org.densenet4j.zoo;

import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelZoo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.densenet4j.pretrained.PretrainedRegistry;

/**
 * The densenet4j model zoo, group id {@code org.densenet4j}: the loader {@code densenet} of any model file, and one
 * per model with pretrained weights in the built-in registry ({@code densenet121}, ...), whose weights the filter
 * {@code dataset} names.
 */
public final class DenseNetModelZoo extends ModelZoo {

    public static final String GROUP_ID = "org.densenet4j";

    private final List<ModelLoader> loaders = loaders();

    private static List<ModelLoader> loaders() {
        List<ModelLoader> all = new ArrayList<>();
        all.add(new DenseNetModelLoader());
        PretrainedRegistry.builtIn().entries().stream()
                .map(e -> e.preset().name())
                .distinct()
                .forEach(model -> all.add(new DenseNetModelLoader(model)));
        return List.copyOf(all);
    }

    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    @Override
    public Collection<ModelLoader> getModelLoaders() {
        return loaders;
    }

    @Override
    public ModelLoader getModelLoader(String name) {
        return loaders.stream()
                .filter(l -> l.getArtifactId().equals(name))
                .findFirst()
                .orElse(null);
    }

    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }
}
