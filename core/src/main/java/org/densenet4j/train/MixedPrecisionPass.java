package org.densenet4j.train;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.AbstractBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.densenet4j.infer.Precision;
import org.densenet4j.model.DenseLayer;
import org.densenet4j.model.DenseNet;
import org.densenet4j.model.Transition;
import org.densenet4j.script.TorchScriptCode;
import org.densenet4j.torch.PickleWriter;
import org.densenet4j.torch.TorchFileWriter;

/**
 * A DenseNet's training-mode forward pass in bf16 mixed precision, run by libtorch as a TorchScript module
 * ({@link TorchScriptCode.Variant#TRAINING_BF16}) that DJL's PyTorch engine loads. DJL's JNI has no bfloat16, so the bfloat16 tensors
 * never leave libtorch: float32 images and the network's own float32 parameters go in, float32 logits come out, and
 * autograd records the pass into those parameters, so DJL's trainer, optimizer and checkpoints work unchanged.
 *
 * <p>libtorch runs the module with its graph executor's optimisations off: with autograd on they rewrite the graph
 * into differentiable subgraphs whose symbolic gradients cost a fifth more time than eager autograd (measured in
 * PyTorch 1.13 on this code: 106 against 87 images/s).
 */
public final class MixedPrecisionPass implements TrainingPass, AutoCloseable {

    /** How DJL's {@code IValueUtils} recognises the arrays of one {@code List[Tensor]} argument. */
    private static final String LIST_ARGUMENT = "p[]";

    /** How DJL's {@code IValueUtils} is told to run another method than {@code forward}. */
    private static final String PART_METHOD = "module_method:part";

    private final DenseNet net;
    private final Model module;
    private final ParameterStore unused;
    /** Per part of the network: its tensors, and {@code where} of the module's {@code part} method. */
    private final Map<AbstractBlock, Part> parts;

    /** A part's own tensors and the module's {@code where} for it: its kind and training mode. */
    private record Part(Supplier<List<NDArray>> tensors, long[] where) {

        Part(Supplier<List<NDArray>> tensors, TorchScriptCode.Part kind, boolean training) {
            this(tensors, new long[] {kind.ordinal(), training ? 1 : 0});
        }
    }

    private MixedPrecisionPass(DenseNet net, Model module) {
        this.net = net;
        this.module = module;
        this.unused = new ParameterStore(module.getNDManager(), false);
        this.parts = parts(net);
    }

    private static Map<AbstractBlock, Part> parts(DenseNet net) {
        boolean[] trains = net.trainingModeStages();
        Map<AbstractBlock, Part> out = new IdentityHashMap<>();
        int stage = 0;
        out.put(net.stem(), new Part(net.stem()::tensors, TorchScriptCode.Part.STEM, trains[stage++]));
        for (int b = 0; b < net.denseBlocks().size(); b++) {
            boolean training = trains[stage++];
            for (DenseLayer layer : net.denseBlocks().get(b).layers()) {
                out.put(layer, new Part(layer::tensors, TorchScriptCode.Part.DENSE_LAYER, training));
            }
            if (b < net.transitions().size()) {
                Transition t = net.transitions().get(b);
                out.put(t, new Part(t::tensors, TorchScriptCode.Part.TRANSITION, trains[stage++]));
            }
        }
        out.put(net.head(), new Part(net.head()::tensors, TorchScriptCode.Part.HEAD, trains[stage]));
        return out;
    }

    /**
     * Compiles the training pass of {@code net} as it is now (its freeze included).
     *
     * @throws IllegalArgumentException if this CPU has no native bfloat16
     * @throws IOException if the module cannot be written or loaded
     */
    public static MixedPrecisionPass compile(DenseNet net) throws IOException {
        Precision.BF16.requireSupport();
        String code = TorchScriptCode.training(net.config(), net.trainingModeStages());
        Path dir = Files.createTempDirectory("densenet4j-bf16-training-");
        Path file = dir.resolve("training.pt");
        Model module = Model.newInstance("training", Device.cpu(), "PyTorch");
        try {
            Files.write(file, archive(code));
            module.load(dir, "training");
            return new MixedPrecisionPass(net, module);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            module.close();
            throw new IOException("libtorch could not load the bf16 training module (" + e.getMessage() + ")", e);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** One part (stem, dense layer, transition or head) in training mode; float32 in and out. */
    @Override
    public NDArray part(ParameterStore ps, AbstractBlock part, NDArray input) {
        Part p = parts.get(part);
        if (p == null) {
            throw new IllegalArgumentException(part.getClass().getSimpleName() + " is not a part of this network");
        }
        return run(input, p.tensors().get(), p.where());
    }

    /**
     * The training-mode logits (N, classes), float32, for float32 NCHW {@code images}; training-mode BNs update
     * their running statistics. Call it inside a {@code GradientCollector} to get gradients.
     */
    @Override
    public NDArray logits(Trainer trainer, NDArray images) {
        net.checkInput(images.getShape());
        return run(images, net.tensors(), null);
    }

    /** Runs {@code forward(x, p)}, or {@code part(x, p, where)} when {@code where} is given. */
    private NDArray run(NDArray x, List<NDArray> tensors, long[] where) {
        NDList inputs = new NDList(tensors.size() + 3);
        inputs.add(x);
        String[] names = new String[tensors.size()];
        for (int i = 0; i < names.length; i++) {
            names[i] = tensors.get(i).getName();
            tensors.get(i).setName(LIST_ARGUMENT);
            inputs.add(tensors.get(i));
        }
        try (NDManager scratch = x.getManager().newSubManager()) {
            if (where != null) {
                inputs.add(scratch.create(where));
                NDArray method = scratch.create(0f);
                method.setName(PART_METHOD);
                inputs.add(method);
            }
            JniUtils.setGraphExecutorOptimize(false); // a per-thread setting
            return module.getBlock().forward(unused, inputs, true).singletonOrThrow();
        } finally {
            for (int i = 0; i < names.length; i++) {
                tensors.get(i).setName(names[i]);
            }
        }
    }

    /** A code-only TorchScript archive: the module's state is just its training flag. */
    private static byte[] archive(String code) throws IOException {
        PickleWriter state = new PickleWriter();
        state.op(0x80).op(2); // PROTO 2
        state.global("__torch__", "DenseNet").op(')').op(0x81); // EMPTY_TUPLE, NEWOBJ
        state.op('}').op('('); // EMPTY_DICT, MARK
        state.unicode("training").op(0x88); // NEWTRUE
        state.unicode("_is_full_backward_hook").op('N');
        state.op('u').op('b').op('.'); // SETITEMS, BUILD, STOP
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            TorchFileWriter.stored(zip, "training/data.pkl", state.bytes());
            zip.putNextEntry(new ZipEntry("training/code/__torch__.py"));
            zip.write(code.getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            TorchFileWriter.stored(zip, "training/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            TorchFileWriter.stored(zip, "training/version", "3\n".getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    @Override
    public void close() {
        module.close();
    }
}
