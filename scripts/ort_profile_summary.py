#!/usr/bin/python3
"""Sums an ONNX Runtime profile's kernel times per operator over its last K runs (default 4), in ms per run.

usage: scripts/ort_profile_summary.py PROFILE.json [K]
"""
import collections
import json
import sys

events = json.load(open(sys.argv[1]))
k = int(sys.argv[2]) if len(sys.argv) > 2 else 4
runs = [e for e in events if e.get("name") == "model_run"]
print("model_run ms:", [round(e["dur"] / 1000, 1) for e in runs])
start = runs[-k]["ts"]
per_op = collections.Counter()
for e in events:
    if e.get("cat") == "Node" and e["ts"] >= start and e["name"].endswith("_kernel_time"):
        per_op[e["args"]["op_name"]] += e["dur"] / 1000 / k
for op, ms in per_op.most_common(15):
    print(f"{op:24s} {ms:8.1f} ms")
