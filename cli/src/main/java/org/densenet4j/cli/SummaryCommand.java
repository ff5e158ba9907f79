package org.densenet4j.cli;

import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.densenet4j.base.TerminalText;
import org.densenet4j.model.DenseNetConfig;
import org.densenet4j.model.ModelSummary;
import org.densenet4j.model.ModelSummary.StageSummary;
import org.densenet4j.pretrained.PretrainedEntry;
import org.densenet4j.pretrained.PretrainedWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code densenet4j summary}: per-stage shapes, parameters, MACs and activation memory. */
@Command(
        name = "summary",
        mixinStandardHelpOptions = true,
        description = "Print each stage's output shape, parameters, MACs and activation memory "
                + "for one image, then the totals.")
final class SummaryCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(
            names = "--input",
            paramLabel = "CxHxW",
            converter = InputShapeConverter.class,
            description = "Input shape of one image (default: the preset's, 3x224x224 or 3x32x32).")
    Shape input;

    @Option(
            names = "--weights",
            paramLabel = "NAME",
            description = "Pretrained weights by name, e.g. imagenet (see densenet4j weights): the network they fill, "
                    + "with their classes and input, and their model card line. Nothing is downloaded.")
    String weights;

    @Option(names = "--json", description = "Print JSON; totals are the top-level fields parameters and macs.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PretrainedEntry pretrained = weights == null ? null : pretrained();
        Shape shape = input != null
                ? input
                : new Shape(
                        model.preset.inputShape()[0],
                        pretrained != null
                                ? pretrained.preprocessing().crop()
                                : model.preset.inputShape()[1],
                        pretrained != null
                                ? pretrained.preprocessing().crop()
                                : model.preset.inputShape()[2]);
        DenseNetConfig config = model.config((int) shape.get(0));
        ModelSummary summary = ModelSummary.of(config, shape);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> fields = toJson(config, summary);
            if (pretrained != null) {
                fields.put("weights", pretrained.key());
                fields.put("card", pretrained.card());
            }
            out.println(TerminalText.json(
                    new GsonBuilder().setPrettyPrinting().create().toJson(fields)));
        } else {
            if (pretrained != null) {
                out.println(TerminalText.escape(pretrained.card()));
            }
            printTable(out, config, summary);
        }
        out.flush();
        return 0;
    }

    /** The registry entry --weights names for --model; its classes become the summary's (--classes must agree). */
    private PretrainedEntry pretrained() throws IOException {
        PretrainedWeights registry = PretrainedWeights.fromEnvironment();
        if (!registry.isName(weights)) {
            throw new IllegalArgumentException("--weights " + TerminalText.escape(weights) + ": summary takes "
                    + "pretrained weights by name (see densenet4j weights); a file's network is summarised with "
                    + "--model and --classes");
        }
        PretrainedEntry entry = registry.registry().find(model.preset.name(), weights);
        int classes = entry.classes().size();
        if (model.classes != null && model.classes != classes) {
            throw new IllegalArgumentException(
                    "--classes " + model.classes + ": " + entry.key() + " has " + classes + " classes");
        }
        model.classes = classes;
        return entry;
    }

    private Map<String, Object> toJson(DenseNetConfig config, ModelSummary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.preset.name());
        m.put("input", s.input().getShape());
        m.put("classes", config.classes());
        List<Map<String, Object>> stages = new ArrayList<>();
        for (StageSummary st : s.stages()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", st.name());
            row.put("output_shape", st.outputShape().getShape());
            row.put("parameters", st.parameters());
            row.put("macs", st.macs());
            row.put("activation_bytes", st.activationBytes());
            stages.add(row);
        }
        m.put("stages", stages);
        m.put("parameters", s.parameters());
        m.put("macs", s.macs());
        m.put("activation_bytes", s.activationBytes());
        m.put("config", config.describe());
        return m;
    }

    private void printTable(PrintWriter out, DenseNetConfig config, ModelSummary s) {
        out.printf("%s: input %s, %d classes%n", model.preset.name(), dims(s.input()), config.classes());
        String format = "%-13s %-14s %14s %12s %14s%n";
        out.printf(format, "stage", "output", "parameters", "MACs", "activations");
        for (StageSummary st : s.stages()) {
            out.printf(
                    format,
                    st.name(),
                    dims(st.outputShape()),
                    String.format("%,d", st.parameters()),
                    Units.giga(st.macs()),
                    Units.bytes(st.activationBytes()));
        }
        out.printf(
                format,
                "total",
                "",
                String.format("%,d", s.parameters()),
                Units.giga(s.macs()),
                Units.bytes(s.activationBytes()));
        out.printf(
                "parameters: %,d%nMACs: %s (%,d)%nactivation memory per image: %s%n",
                s.parameters(), Units.giga(s.macs()), s.macs(), Units.bytes(s.activationBytes()));
    }

    private static String dims(Shape shape) {
        StringBuilder b = new StringBuilder();
        for (long d : shape.getShape()) {
            b.append(b.length() == 0 ? "" : "x").append(d);
        }
        return b.toString();
    }
}
