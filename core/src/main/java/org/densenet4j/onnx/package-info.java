/**
 * ONNX export: a trained network as an ONNX model ({@link org.densenet4j.onnx.OnnxExport}), written with the
 * message classes protoc generates from {@code onnx.proto}.
 */
package org.densenet4j.onnx;
