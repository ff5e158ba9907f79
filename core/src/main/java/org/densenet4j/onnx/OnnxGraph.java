package org.densenet4j.onnx;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.densenet4j.onnx.Onnx.AttributeProto;
import org.densenet4j.onnx.Onnx.GraphProto;
import org.densenet4j.onnx.Onnx.NodeProto;
import org.densenet4j.onnx.Onnx.TensorProto;
import org.densenet4j.onnx.Onnx.TensorShapeProto;
import org.densenet4j.onnx.Onnx.TypeProto;
import org.densenet4j.onnx.Onnx.ValueInfoProto;

/** Builds an ONNX graph node by node, naming each output after the node that makes it. */
final class OnnxGraph {

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private int nodes;

    OnnxGraph(String name) {
        graph.setName(name);
    }

    /** A float32 NCHW input whose first axis (the batch) is dynamic. */
    String input(String name, long channels, long height, long width) {
        graph.addInput(floatValue(name, channels, height, width));
        return name;
    }

    /** Declares {@code name} a float32 output of shape (batch, rest...). */
    void output(String name, long... rest) {
        graph.addOutput(floatValue(name, rest));
    }

    private static ValueInfoProto floatValue(String name, long... rest) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (long d : rest) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder()
                                .setElemType(TensorProto.DataType.FLOAT_VALUE)
                                .setShape(shape)))
                .build();
    }

    /** A float32 constant (a weight), stored little-endian in raw_data. */
    String initializer(String name, float[] values, long... dims) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return constant(name, TensorProto.DataType.FLOAT_VALUE, bytes.array(), dims);
    }

    /** An int32 constant (a quantized bias), stored little-endian in raw_data. */
    String int32Initializer(String name, int[] values, long... dims) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asIntBuffer().put(values);
        return constant(name, TensorProto.DataType.INT32_VALUE, bytes.array(), dims);
    }

    /** An int8 constant (quantized weights or their zero points). */
    String int8Initializer(String name, byte[] values, long... dims) {
        return constant(name, TensorProto.DataType.INT8_VALUE, values, dims);
    }

    /** A uint8 constant (an activation's zero point). */
    String uint8Initializer(String name, byte[] values, long... dims) {
        return constant(name, TensorProto.DataType.UINT8_VALUE, values, dims);
    }

    private String constant(String name, int dataType, byte[] raw, long... dims) {
        graph.addInitializer(TensorProto.newBuilder()
                .setName(name)
                .setDataType(dataType)
                .addAllDims(java.util.Arrays.stream(dims).boxed().toList())
                .setRawData(ByteString.copyFrom(raw)));
        return name;
    }

    /** A node with one output, named {@code name}; returns the output's name. */
    String node(String opType, String name, String[] inputs, AttributeProto... attributes) {
        NodeProto.Builder node =
                NodeProto.newBuilder().setOpType(opType).setName(name).addOutput(name);
        for (String input : inputs) {
            node.addInput(input);
        }
        for (AttributeProto a : attributes) {
            node.addAttribute(a);
        }
        graph.addNode(node);
        nodes++;
        return name;
    }

    int nodeCount() {
        return nodes;
    }

    GraphProto build() {
        return graph.build();
    }

    static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    static AttributeProto integer(String name, long value) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.INT)
                .setI(value)
                .build();
    }

    static AttributeProto real(String name, float value) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.FLOAT)
                .setF(value)
                .build();
    }
}
