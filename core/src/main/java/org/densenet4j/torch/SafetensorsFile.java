package org.densenet4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.densenet4j.base.AtomicFile;

/** Writes a state dict as a safetensors file (DJL's encoder), atomically; integer tensors stay int64. */
public final class SafetensorsFile {

    private SafetensorsFile() {}

    public static void write(Map<String, TorchTensor> stateDict, Path file) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList list = new NDList();
            for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
                TorchTensor t = e.getValue();
                NDArray a = manager.create(t.data(), new Shape(t.shape()));
                if (t.integer()) {
                    a = a.toType(DataType.INT64, false);
                }
                a.setName(e.getKey());
                list.add(a);
            }
            AtomicFile.write(file, target -> list.encode(target, NDList.Encoding.SAFETENSORS));
        }
    }
}
