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


def best(prefix, tag, mode, variants=("glibc", "jemalloc")):
    """The peer's fastest run among {variants} (allocator, then settings), and their throughputs as text."""
    runs = {v: load(f"{prefix}-{v}-{tag}-{mode}") for v in variants}
    runs = {v: r for v, r in runs.items() if r}
    if not runs:
        return None, "-"
    top = max(runs.values(), key=lambda r: r["images_per_second"])
    text = " / ".join(f"{runs[v]['images_per_second']:.1f}" if v in runs else "-" for v in variants)
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
         "channels-last maps). Each peer runs with glibc malloc as installed and with the same jemalloc setting, "
         "PyTorch also in channels_last (with jemalloc); ratios are against the peer's fastest run, whose memory is "
         "shown.",
         f"Reproduce: `{command}` (this run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(os.path.getmtime(os.path.join(out, 'sgemm.json'))))}).", "",
         "| workload | mode | densenet4j img/s | PyTorch 1.13 img/s (glibc / jemalloc / jemalloc channels_last) "
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
        t, t_text = best("pytorch", tag, peer, ("glibc", "jemalloc", "jemalloc-cl"))
        o, o_text = best("onnxruntime", tag, peer) if peer == "infer" else (None, "-")
        flops = 2 * macs * (1 if peer == "infer" else 3)  # backward costs about twice the forward
        pct = d["images_per_second"] * flops / (peak * 1e9) * 100
        row = [NAMES[tag], label, f"{d['images_per_second']:.1f}", t_text, o_text,
               f"{d['images_per_second'] / t['images_per_second']:.2f}x" if t else "-",
               f"{d['images_per_second'] / o['images_per_second']:.2f}x" if o else "-",
               f"{pct:.1f}%", gib(d), gib(t) if t else "-", gib(o) if o else "-"]
        lines.append("| " + " | ".join(row) + " |")
BF16_ROWS = []
for tag in NAMES:
    for mine, peer, label in MODES:
        d = load(f"densenet4j-bf16-{tag}-{mine}")
        if d is None:
            continue
        fp32 = load(f"densenet4j-{tag}-{mine}")
        t, t_text = best("pytorch", tag, peer, ("jemalloc-bf16", "jemalloc-cl-bf16"))
        t32, _ = best("pytorch", tag, peer, ("glibc", "jemalloc", "jemalloc-cl"))
        o, o_text = best("onnxruntime", tag, peer) if peer == "infer" else (None, "-")
        fastest = max((r for r in (t, t32, o) if r), key=lambda r: r["images_per_second"], default=None)
        row = [NAMES[tag], label, f"{d['images_per_second']:.1f}", f"{fp32['images_per_second']:.1f}" if fp32 else "-",
               t_text, f"{o['images_per_second']:.1f}" if o else "-",
               f"{d['images_per_second'] / t['images_per_second']:.2f}x" if t else "-",
               f"{d['images_per_second'] / o['images_per_second']:.2f}x" if o else "-",
               f"{d['images_per_second'] / fastest['images_per_second']:.2f}x" if fastest else "-",
               gib(d), gib(t) if t else "-"]
        BF16_ROWS.append("| " + " | ".join(row) + " |")
if BF16_ROWS:
    lines += ["", "bf16 mixed precision (`--precision bf16`; the CPU has avx512_bf16 or amx_bf16): densenet4j's "
              "inference runs the folded network as a bfloat16 TorchScript module, its training step the "
              "bfloat16 training pass (float32 master weights); PyTorch runs under `torch.autocast(\"cpu\", "
              "dtype=torch.bfloat16)` with jemalloc, NCHW and channels_last. The last ratio is against the fastest "
              "peer run of any precision and setting in this run.", "",
              "| workload | mode | densenet4j bf16 img/s | densenet4j fp32 img/s "
              "| PyTorch bf16 autocast img/s (NCHW / channels_last) | ONNX Runtime fp32 img/s "
              "| densenet4j bf16 / PyTorch bf16 | densenet4j bf16 / ORT | densenet4j bf16 / fastest peer "
              "| densenet4j bf16 peak RSS | PyTorch bf16 peak RSS |",
              "|---|---|---|---|---|---|---|---|---|---|---|"] + BF16_ROWS
INT8_ROWS = []
for tag in NAMES:
    q = load(f"int8-{tag}")
    if q is None:
        continue
    mine, peer = q["densenet4j_int8_images_per_second"], q["pytorch_int8_images_per_second"]
    INT8_ROWS.append(f"| {NAMES[tag]} | {q['rounds']} | {q['densenet4j_median']:.1f} ({min(mine):.1f}-{max(mine):.1f}) "
                     f"| {q['pytorch_median']:.1f} ({min(peer):.1f}-{max(peer):.1f}) | {q['ratio_median']:.2f}x "
                     f"({q['ratio_min']:.2f}-{q['ratio_max']:.2f}x) |")
if INT8_ROWS:
    lines += ["", "int8 inference (`--precision int8`; the CPU has avx512_vnni or amx_int8), "
              "`scripts/int8_bench.sh`: densenet4j's own int8 module (libtorch's fbgemm) against PyTorch 1.13's FX "
              "post-training static quantization (per-channel int8 weights, the onednn engine, jemalloc), both "
              "calibrated on the same Fashion-MNIST images, in interleaved rounds (one process at a time); each "
              "figure is the median of the rounds, the range in brackets, the ratio's median and range taken round "
              "by round.", "",
              "| workload | rounds | densenet4j int8 img/s | PyTorch int8 img/s | densenet4j / PyTorch |",
              "|---|---|---|---|---|"] + INT8_ROWS
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
