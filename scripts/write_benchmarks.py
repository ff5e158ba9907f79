#!/usr/bin/python3
"""Turns the harness's JSON results into the harness section of BENCHMARKS.md (other sections are kept)."""
import json
import os
import platform
import subprocess
import sys

out, target, command = sys.argv[1], sys.argv[2], sys.argv[3]
START, END = "<!-- harness:start -->", "<!-- harness:end -->"
GMACS = {"densenet121-224-b8": 2.8342, "densenet-bc-100-12-32-b64": 0.2879, "cifar-densenet121-32-b64": 0.8884}
NAMES = {"densenet121-224-b8": "densenet121, 224x224, batch 8",
         "densenet-bc-100-12-32-b64": "densenet-bc-100-12, 32x32, batch 64",
         "cifar-densenet121-32-b64": "cifar-densenet121, 32x32, batch 64"}


def load(name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


peak = load("sgemm")["gflops"]
lines = [START, "", "## Harness: densenet4j against PyTorch and ONNX Runtime", "",
         f"Machine: {cpu()}, {os.cpu_count()} cores, FP32 sgemm peak {peak:.0f} GFLOP/s "
         "(densenet4j's libtorch 2.7.1 / MKL, n=4096, 2 threads). All peers use 2 threads; images/s is the batch size over the median "
         "of the timed iterations after warm-up; memory is each process's peak resident set (VmHWM / ru_maxrss).",
         f"Reproduce: `{command}`.", "",
         "| workload | mode | densenet4j img/s | PyTorch 1.13 img/s | ONNX Runtime img/s | densenet4j / PyTorch "
         "| densenet4j / ORT | densenet4j % of FP32 peak | densenet4j peak RSS | PyTorch peak RSS | ORT peak RSS |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
for tag, gmacs in GMACS.items():
    for mode in ("infer", "train"):
        d, t = load(f"densenet4j-{tag}-{mode}"), load(f"pytorch-{tag}-{mode}")
        o = load(f"onnxruntime-{tag}-{mode}") if mode == "infer" else None
        flops = 2 * gmacs * 1e9 * (1 if mode == "infer" else 3)  # backward costs about twice the forward
        pct = d["images_per_second"] * flops / (peak * 1e9) * 100
        row = [NAMES[tag], mode, f"{d['images_per_second']:.1f}", f"{t['images_per_second']:.1f}",
               f"{o['images_per_second']:.1f}" if o else "-",
               f"{d['images_per_second'] / t['images_per_second']:.2f}x",
               f"{d['images_per_second'] / o['images_per_second']:.2f}x" if o else "-",
               f"{pct:.1f}%", f"{d['peak_rss_bytes'] / 2**30:.2f} GiB", f"{t['peak_rss_bytes'] / 2**30:.2f} GiB",
               f"{o['peak_rss_bytes'] / 2**30:.2f} GiB" if o else "-"]
        lines.append("| " + " | ".join(row) + " |")
lines += ["", "Peak resident memory of a densenet4j training step, DenseNet-BC k=12, 32x32, batch 64:", "",
          "| L | img/s | peak RSS |", "|---|---|---|"]
for depth in (100, 190, 250):
    d = load(f"depth-{depth}")
    if d:
        lines.append(f"| {depth} | {d['images_per_second']:.1f} | {d['peak_rss_bytes'] / 2**30:.2f} GiB |")
lines += ["", END]
section = "\n".join(lines)

text = open(target).read() if os.path.exists(target) else "# Benchmarks\n"
if START in text and END in text:
    text = text[:text.index(START)] + section + text[text.index(END) + len(END):]
else:
    text = text.rstrip() + "\n\n" + section + "\n"
with open(target + ".tmp", "w") as f:
    f.write(text)
os.replace(target + ".tmp", target)
