#!/usr/bin/python3
"""Writes torchvision's densenet121 (random weights, seed 0) as ONNX twice: float32 and with int8 QDQ around every
convolution (per-channel symmetric int8 weights, uint8 activations at a fixed scale; speed, not accuracy, is what
this measures). ONNX Runtime fuses DequantizeLinear -> Conv -> QuantizeLinear into QLinearConv: this is how an
ONNX Runtime user runs a DenseNet in int8, and tells whether ONNX Runtime (an engine DJL carries) would give
densenet4j faster int8 convolutions than libtorch's fbgemm. Needs Debian's python3-torch, python3-torchvision and
python3-onnx.

usage: scripts/int8_ort_qdq.py OUT_DIR   (writes densenet121-fp32.onnx and densenet121-qdq.onnx, batch 8)
"""
import os
import sys

import numpy as np
import onnx
import torch
import torchvision
from onnx import helper, numpy_helper

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
torch.manual_seed(0)
model = torchvision.models.densenet121().eval()
fp32 = os.path.join(out_dir, "densenet121-fp32.onnx")
torch.onnx.export(model, torch.randn(8, 3, 224, 224), fp32, opset_version=13, input_names=["images"],
                  output_names=["logits"])
graph_model = onnx.load(fp32)
graph = graph_model.graph
initializers = {i.name: i for i in graph.initializer}
nodes, extra = [], []
counter = [0]


def fresh(prefix):
    counter[0] += 1
    return f"{prefix}_{counter[0]}"


def quantize_dequantize(tensor, zero_point):
    scale, zero, q, dq = fresh("s"), fresh("z"), fresh("q"), fresh("dq")
    extra.append(numpy_helper.from_array(np.array(0.05, dtype=np.float32), scale))
    extra.append(numpy_helper.from_array(np.array(zero_point, dtype=np.uint8), zero))
    nodes.append(helper.make_node("QuantizeLinear", [tensor, scale, zero], [q]))
    nodes.append(helper.make_node("DequantizeLinear", [q, scale, zero], [dq]))
    return dq


for node in graph.node:
    if node.op_type != "Conv":
        nodes.append(node)
        continue
    x = quantize_dequantize(node.input[0], 128 if node.input[0] == "images" else 0)
    w = numpy_helper.to_array(initializers[node.input[1]])
    scale = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(1), 1e-8) / 127
    wq = np.round(w / scale[:, None, None, None]).clip(-127, 127).astype(np.int8)
    names = fresh("wq"), fresh("ws"), fresh("wz"), fresh("wdq")
    extra += [numpy_helper.from_array(wq, names[0]), numpy_helper.from_array(scale.astype(np.float32), names[1]),
              numpy_helper.from_array(np.zeros(w.shape[0], np.int8), names[2])]
    nodes.append(helper.make_node("DequantizeLinear", list(names[:3]), [names[3]], axis=0))
    raw = fresh("conv")
    conv = helper.make_node("Conv", [x, names[3]] + list(node.input[2:]), [raw], name=node.name)
    conv.attribute.extend(node.attribute)
    nodes.append(conv)
    scale, zero, q = fresh("s"), fresh("z"), fresh("q")
    extra.append(numpy_helper.from_array(np.array(0.05, dtype=np.float32), scale))
    extra.append(numpy_helper.from_array(np.array(128, dtype=np.uint8), zero))
    nodes.append(helper.make_node("QuantizeLinear", [raw, scale, zero], [q]))
    nodes.append(helper.make_node("DequantizeLinear", [q, scale, zero], [node.output[0]]))
del graph.node[:]
graph.node.extend(nodes)
used = {i for n in nodes for i in n.input}
kept = [i for i in graph.initializer if i.name in used]
del graph.initializer[:]
graph.initializer.extend(kept + extra)
onnx.save(graph_model, os.path.join(out_dir, "densenet121-qdq.onnx"))
print("wrote", fp32, "and", os.path.join(out_dir, "densenet121-qdq.onnx"))
