package org.densenet4j.script;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A TorchScript module densenet4j has just written itself, loaded in libtorch: the only kind of file densenet4j ever
 * hands libtorch's loader, which runs the archive's code and trusts its offsets.
 */
final class OwnModule {

    /** Writes a module's archive to the file it is given. */
    interface Writer {
        void write(Path file) throws IOException;
    }

    private OwnModule() {}

    /**
     * Writes the module with {@code writer} into a fresh private folder, loads it, and deletes the folder.
     *
     * @param what what the module is, for messages, e.g. "int8 module for densenet121"
     * @throws IOException naming {@code what} if libtorch cannot load it
     */
    static Model load(String what, Writer writer) throws IOException {
        // Files.createTempDirectory makes the folder owner-only on POSIX systems: no one else can swap the file.
        Path dir = Files.createTempDirectory("densenet4j-module-");
        Path file = dir.resolve("model.pt");
        try {
            writer.write(file);
            Model model = Model.newInstance("model", Device.cpu(), "PyTorch");
            try {
                // DJL looks for a file named "model" before "model.pt": in this folder there is only ours.
                model.load(dir, "model");
                return model;
            } catch (IOException | MalformedModelException | RuntimeException e) {
                model.close();
                throw new IOException(
                        "libtorch could not load densenet4j's own " + what + " (" + e.getMessage() + ")", e);
            }
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }
}
