package org.densenet4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.densenet4j.base.AtomicFile;
import org.densenet4j.base.FileNames;
import org.densenet4j.base.TerminalText;
import org.densenet4j.data.ImageFiles;
import org.densenet4j.data.UnreadableImageException;
import org.densenet4j.infer.Explainer;
import org.densenet4j.infer.Explanation;
import org.densenet4j.infer.ExplanationPicture;
import org.densenet4j.infer.Precision;
import org.densenet4j.infer.TrainedModel;
import org.densenet4j.script.Int8Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code densenet4j explain}: where the network looked, as a picture per image and class. */
@Command(
        name = "explain",
        mixinStandardHelpOptions = true,
        description = "Show where the network looked: a class activation map (CAM) or Grad-CAM over each image, "
                + "written as a PNG with a colour bar, the label and the probability; with --precision int8, CAM "
                + "of densenet4j's int8 network.")
final class ExplainCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "IMAGE|DIR", description = "Image files or folders of images.")
    List<Path> inputs;

    @Mixin
    CheckpointOption checkpoint;

    /** fp32, or int8: CAM on densenet4j's int8 network (Grad-CAM needs the float32 network's gradients). */
    @Mixin
    PrecisionOption precision;

    @Mixin
    CalibrationOption calibration;

    @Option(
            names = "--class",
            paramLabel = "top|NAME|INDEX",
            defaultValue = "top",
            description = "The class to explain: top (the prediction), a class name or an index; repeat for "
                    + "several (default: ${DEFAULT-VALUE}).")
    List<String> classes;

    @Option(
            names = "--method",
            paramLabel = "cam|gradcam",
            defaultValue = "cam",
            description = "cam (exact for a DenseNet, final feature maps) or gradcam (any block) "
                    + "(default: ${DEFAULT-VALUE}).")
    String method;

    @Option(
            names = "--layer",
            paramLabel = "blockN",
            description = "The dense block to explain with gradcam (default: the last, the final feature maps).")
    String layer;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description = "Where the PNG files go: a folder, made if its parent exists. A picture that exists "
                    + "already is refused unless --overwrite.")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--json", description = "Print JSON: per image and class the peak, the map and the file written.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Explainer.Method m = Explainer.Method.parse(method);
        List<Path> files = ImageInputs.expand(inputs);
        List<Map<String, Object>> results = new ArrayList<>();
        List<Map<String, Object>> skipped = new ArrayList<>();
        PrintWriter text = spec.commandLine().getOut();
        try (Interruption interruption = new Interruption();
                NDManager manager = NDManager.newBaseManager()) {
            Explainer explainer = explainer(m, manager);
            int block = block(explainer.blocks());
            if (m == Explainer.Method.CAM && block != explainer.blocks() && !explainer.hasGradCam()) {
                throw new IllegalArgumentException("--precision int8 explains the final feature maps (block"
                        + explainer.blocks() + ") only, by CAM: explain --layer " + layer + " with --method gradcam "
                        + "in fp32");
            }
            if (m == Explainer.Method.CAM && block != explainer.blocks()) {
                throw new IllegalArgumentException("--method cam explains the final feature maps (block"
                        + explainer.blocks() + "); use --method gradcam for --layer " + layer);
            }
            float[] none = new float[explainer.spec().classNames().size()];
            for (String c : classes) {
                explainer.classIndex(c, none); // an unknown class fails before any file is written
            }
            makeFolder();
            Set<String> names = new HashSet<>();
            for (Path file : files) {
                if (interruption.requested()) {
                    spec.commandLine()
                            .getErr()
                            .printf(
                                    "densenet4j explain: stopped on request after %d of %d " + "image(s)%n",
                                    results.size(), files.size());
                    return Interruption.EXIT_INTERRUPTED;
                }
                BufferedImage image;
                try {
                    image = ImageFiles.read(file);
                } catch (UnreadableImageException e) {
                    skipped.add(Map.of("file", file.toString(), "error", e.getMessage()));
                    continue;
                }
                for (String c : classes) {
                    Explanation e = explainer.explain(image, c, m, block);
                    Path png = out.resolve(unique(
                            names,
                            stem(file) + "-" + FileNames.part(e.label()) + "-" + m
                                    + (m == Explainer.Method.GRAD_CAM ? "-block" + block : "") + ".png"));
                    overwrite.check(png);
                    BufferedImage picture = ExplanationPicture.draw(image, e);
                    AtomicFile.write(png, target -> ImageIO.write(picture, "png", target));
                    results.add(entry(file, image, e, png));
                    if (!json) {
                        int[] peak = e.peakInImage(image.getWidth(), image.getHeight());
                        text.printf(
                                Locale.ROOT,
                                "%s: %s %.1f%%, %s peak at (%d, %d) -> %s%n",
                                TerminalText.escape(file),
                                TerminalText.escape(e.label()),
                                100 * e.probability(),
                                m,
                                peak[0],
                                peak[1],
                                TerminalText.escape(png));
                    }
                }
            }
        }
        if (json) {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("explanations", results);
            all.put("skipped", skipped);
            text.println(TerminalText.json(
                    new GsonBuilder().setPrettyPrinting().create().toJson(all)));
        } else if (!skipped.isEmpty()) {
            text.printf("%d unreadable file(s) skipped%n", skipped.size());
        }
        text.flush();
        if (results.isEmpty()) {
            spec.commandLine()
                    .getErr()
                    .println("densenet4j explain: no readable image among " + files.size() + " file(s)");
            return 1;
        }
        return 0;
    }

    /** The explainer of the model in the precision asked for: fp32 (CAM and Grad-CAM), or int8 (CAM alone). */
    private Explainer explainer(Explainer.Method method, NDManager manager) throws IOException {
        Precision p = precision.precision();
        calibration.checkUsedWith(p);
        if (p == Precision.BF16) {
            throw new IllegalArgumentException("explain runs in fp32 or int8, not bf16");
        }
        // int8 is explained by CAM alone (Explainer.camOnly): Grad-CAM is refused before a model is calibrated
        Explainer.refuseGradCam(
                method,
                p == Precision.INT8,
                "--method gradcam needs the float32 network's gradients: with --precision int8 use --method cam (the "
                        + "int8 network's own class activation map), or run gradcam in fp32");
        if (p == Precision.INT8) {
            Int8Model int8 =
                    calibration.compile(checkpoint, manager, spec.commandLine().getErr());
            return Explainer.camOnly(int8.spec(), int8::logitsAndClassActivationMaps, manager);
        }
        TrainedModel loaded = checkpoint.load(manager, spec.commandLine().getErr());
        return new Explainer(loaded.network(), loaded.spec(), manager);
    }

    /** The block --layer names (blockN or N), the last by default. */
    private int block(int blocks) {
        if (layer == null) {
            return blocks;
        }
        String n = layer.toLowerCase(Locale.ROOT).startsWith("block") ? layer.substring(5) : layer;
        try {
            int block = Integer.parseInt(n);
            if (block >= 1 && block <= blocks) {
                return block;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "--layer " + layer + " is not a dense block of this model: valid are block1.." + "block" + blocks);
    }

    private static Map<String, Object> entry(Path file, BufferedImage image, Explanation e, Path png) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", file.toString());
        m.putAll(e.describe(image.getWidth(), image.getHeight()));
        m.put("png", png.toString());
        return m;
    }

    /** --out, made now if it does not exist but its parent does (as train makes its --run-dir). */
    private void makeFolder() throws IOException {
        if (Files.isDirectory(out)) {
            return;
        }
        if (Files.exists(out)) {
            throw new IllegalArgumentException("--out " + out + " is a file: name a folder for the pictures");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            throw new IllegalArgumentException(
                    "cannot make the folder " + out + ": its parent " + parent + " does not exist");
        }
        Files.createDirectory(out);
    }

    /** The image's name without its extension, as a bounded, safe file name part. */
    private static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return FileNames.part(dot > 0 ? n.substring(0, dot) : n);
    }

    /** The name, or name-2, name-3, ... if an earlier image of this run took it. */
    private static String unique(Set<String> taken, String name) {
        String candidate = name;
        String stem = name.substring(0, name.length() - ".png".length());
        for (int i = 2; !taken.add(candidate); i++) {
            candidate = stem + "-" + i + ".png";
        }
        return candidate;
    }
}
