#!/usr/bin/python3
"""Turns the harness's JSON results (target/benchmark) into the harness section of BENCHMARKS.md (other sections are kept)."""
import json
import os
import platform
import subprocess
import sys
import time

out, target, command = sys.argv[1], sys.argv[2], sys.argv[3]
START, END = "<!-- harness:start -->", "<!-- harness:end -->"
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


def gib(result):
    return f"{result['peak_rss_bytes'] / 2**30:.2f} GiB"


def best(prefix, tag, mode):
    """The peer's faster run of the two allocators, and both throughputs as text."""
    runs = {a: load(f"{prefix}-{a}-{tag}-{mode}") for a in ("glibc", "jemalloc")}
    runs = {a: r for a, r in runs.items() if r}
    if not runs:
        return None, "-"
    top = max(runs.values(), key=lambda r: r["images_per_second"])
    text = " / ".join(f"{runs[a]['images_per_second']:.1f}" if a in runs else "-" for a in ("glibc", "jemalloc"))
    return top, text


sgemm = load("sgemm")
peak = sgemm["gflops"]
lines = [START, "", "## Harness: densenet4j against PyTorch and ONNX Runtime", "",
         f"Machine: {cpu()}, {os.cpu_count()} cores. FP32 matrix-multiply peak {peak:.0f} GFLOP/s: the faster of "
         f"libtorch's MKL sgemm ({sgemm.get('sgemm_gflops', peak):.0f} GFLOP/s) and the same n=4096 product as a oneDNN "
         f"1x1 convolution ({sgemm.get('conv_gemm_gflops', peak):.0f} GFLOP/s), 2 threads. "
         "All peers use 2 threads; images/s is the batch size over the median of the timed iterations after "
         "warm-up; memory is each process's peak resident set (VmHWM / ru_maxrss). densenet4j runs as its "
         "launcher runs it (jemalloc, never returning memory; inference through `FoldedDenseNet`, training with "
         "channels-last maps). Each peer runs twice, with glibc malloc as installed and with the same jemalloc "
         "setting; ratios are against the peer's faster run, whose memory is shown.",
         f"Reproduce: `{command}` (this run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(os.path.getmtime(os.path.join(out, 'sgemm.json'))))}).", "",
         "| workload | mode | densenet4j img/s | PyTorch 1.13 img/s (glibc / jemalloc) "
         "| ONNX Runtime img/s (glibc / jemalloc) | densenet4j / PyTorch | densenet4j / ORT "
         "| densenet4j % of FP32 peak | densenet4j peak RSS | PyTorch peak RSS | ORT peak RSS |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
MODES = (("infer", "infer", "infer"), ("train", "train", "train step"),
         ("train-me", "train", "train step, memory-efficient"))
for tag in NAMES:
    macs = load(f"summary-{tag}")["macs"]  # per image, as `densenet4j summary` counts them
    for mine, peer, label in MODES:
        d = load(f"densenet4j-{tag}-{mine}")
        if d is None:
            continue
        t, t_text = best("pytorch", tag, peer)
        o, o_text = best("onnxruntime", tag, peer) if peer == "infer" else (None, "-")
        flops = 2 * macs * (1 if peer == "infer" else 3)  # backward costs about twice the forward
        pct = d["images_per_second"] * flops / (peak * 1e9) * 100
        row = [NAMES[tag], label, f"{d['images_per_second']:.1f}", t_text, o_text,
               f"{d['images_per_second'] / t['images_per_second']:.2f}x" if t else "-",
               f"{d['images_per_second'] / o['images_per_second']:.2f}x" if o else "-",
               f"{pct:.1f}%", gib(d), gib(t) if t else "-", gib(o) if o else "-"]
        lines.append("| " + " | ".join(row) + " |")
lines += ["", "Peak resident memory of a densenet4j training step, DenseNet-BC k=12, 32x32, batch 64 "
          "(plain and memory-efficient step with the launcher's allocator; the last column is the "
          "memory-efficient step with glibc returning every freed block, i.e. the memory libtorch held):", "",
          "| L | plain img/s | plain peak RSS | memory-efficient img/s | memory-efficient peak RSS "
          "| memory-efficient, glibc returning memory |", "|---|---|---|---|---|---|"]
for depth in (100, 190, 250):
    p, m, live = (load(f"depth-{depth}-{k}") for k in ("plain", "me", "me-live"))
    if p and m:
        lines.append(f"| {depth} | {p['images_per_second']:.1f} | {gib(p)} | {m['images_per_second']:.1f} | {gib(m)} "
                     f"| {gib(live) if live else '-'} |")
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
