#!/usr/bin/python3
"""The PyTorch int8 peer: post-training static quantization with FX (Debian's python3-torch 1.13).

    int8_peer.py MODEL C H W BATCH [--engine onednn|qnnpack] [--calibrate-images 256] [--rounds 5]
                 [--observer histogram|minmax] [--channels-last] [--save-script OUT.pt] [--threads 2]
                 [--calibration IMAGES.npy]
    int8_peer.py MODEL C H W BATCH --write-calibration IMAGES.npy [--calibrate-images 256]

MODEL is a name of scripts/bench_pytorch.py (densenet121, densenet-bc-100-12, ...), with its random weights
(seed 0): speed does not depend on the weights. The model is quantized the way PyTorch's documentation shows
(torch.ao.quantization.quantize_fx.prepare_fx / convert_fx) with the engine's default qconfig mapping, but with
per-channel symmetric int8 weights for every engine, calibrated on the first N Fashion-MNIST training images (the
one image set on this machine; resized to HxW and repeated over C channels). Debian's build has no fbgemm/x86
engine: onednn and qnnpack are its quantized engines.

Timing: after warm-up, ROUNDS rounds that alternate the int8 module and the float32 model (channels_last, PyTorch's
fastest float32 setting; --skip-fp32 leaves it out), each round the median of ITERATIONS passes; prints one JSON object with every round's
img/s, their median and range, the calibration time and how far int8's logits are from float32's (relative to the
largest float32 logit) and how often their top-1 labels agree on the calibration images.
--write-calibration writes the calibration images (normalised float32, N x C x H x W, .npy) and exits;
--calibration calibrates on such a file instead: scripts/int8_bench.sh gives densenet4j (`bench --precision int8
--calibrate IMAGES.npy`) and this peer the same images.
--save-script writes torch.jit.trace of the converted module (for loading in another runtime; measurement only),
with OUT.pt.input.bin (one batch), OUT.pt.int8.bin and OUT.pt.fp32.bin (its logits), raw little-endian float32.
"""
import argparse
import copy
import gzip
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.ao.quantization import QConfig, QConfigMapping, get_default_qconfig_mapping
from torch.ao.quantization.observer import HistogramObserver, MinMaxObserver, PerChannelMinMaxObserver
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_pytorch import build  # noqa: E402

FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def calibration_images(n, c, h, w):
    """The first n Fashion-MNIST training images as float32 (n, c, h, w), normalised with the dataset's mean and std."""
    with gzip.open(FASHION, "rb") as f:
        raw = f.read()
    count = int.from_bytes(raw[4:8], "big")
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, 1, 28, 28)[:n]
    x = torch.from_numpy(pixels.astype(np.float32) / 255.0)
    x = (x - 0.2860) / 0.3530
    if (h, w) != (28, 28):
        x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    return x.repeat(1, c, 1, 1).contiguous()


def qconfig_mapping(engine, observer):
    activation = (HistogramObserver if observer == "histogram" else MinMaxObserver).with_args(
        dtype=torch.quint8, reduce_range=False)
    weight = PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
    # The engine's own mapping (which ops are quantized, fixed-qparams ops), with per-channel weights everywhere.
    return get_default_qconfig_mapping(engine).set_global(QConfig(activation=activation, weight=weight))


def timed(fn, x, iterations):
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - start)
    return x.shape[0] / statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("c", type=int)
    p.add_argument("h", type=int)
    p.add_argument("w", type=int)
    p.add_argument("batch", type=int)
    p.add_argument("--classes", type=int, default=None)
    p.add_argument("--engine", default="onednn", choices=["onednn", "qnnpack", "fbgemm", "x86"])
    p.add_argument("--observer", default="histogram", choices=["histogram", "minmax"])
    p.add_argument("--calibrate-images", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--channels-last", action="store_true", help="feed the int8 module channels_last input")
    p.add_argument("--save-script", default=None)
    p.add_argument("--skip-fp32", action="store_true", help="time the int8 module only")
    p.add_argument("--profile", action="store_true", help="print the int8 pass's self time per operator")
    p.add_argument("--calibration", default=None, help="calibrate on these images (.npy, N x C x H x W)")
    p.add_argument("--write-calibration", default=None, help="write the calibration images (.npy) and exit")
    a = p.parse_args()
    if a.write_calibration:
        np.save(a.write_calibration, calibration_images(a.calibrate_images, a.c, a.h, a.w).numpy().astype("<f4"))
        return
    if a.engine not in torch.backends.quantized.supported_engines:
        raise SystemExit(f"engine {a.engine} not in this build: {torch.backends.quantized.supported_engines}")
    torch.backends.quantized.engine = a.engine
    torch.set_num_threads(a.threads)
    # Random-weight float32 networks fed upsampled Fashion-MNIST reach denormal floats, which made float32 3x slower
    # here (BC-100: 18 against 48 img/s); flushing them keeps the float32 reference fair. int8 is unaffected.
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    classes = a.classes or (1000 if a.model[8:].isdigit() else 10)
    model = build(a.model, a.c, classes).eval()
    if a.calibration:
        calib = torch.from_numpy(np.load(a.calibration).astype(np.float32))
        if tuple(calib.shape[1:]) != (a.c, a.h, a.w):
            raise SystemExit(f"{a.calibration}: shape {tuple(calib.shape)}, expected (N, {a.c}, {a.h}, {a.w})")
    else:
        calib = calibration_images(a.calibrate_images, a.c, a.h, a.w)
    x = calib[:a.batch].clone() if a.batch <= len(calib) else torch.randn(a.batch, a.c, a.h, a.w)

    start = time.perf_counter()
    with torch.no_grad():
        # prepare_fx may change the model it is given (the docs quantize a deep copy)
        prepared = prepare_fx(copy.deepcopy(model), qconfig_mapping(a.engine, a.observer), example_inputs=(x,))
        for i in range(0, len(calib), a.batch):
            prepared(calib[i:i + a.batch])
        quantized = convert_fx(prepared)
    calibration_seconds = time.perf_counter() - start

    with torch.no_grad():
        ref = torch.cat([model(calib[i:i + a.batch]) for i in range(0, len(calib), a.batch)])
        got = torch.cat([quantized(calib[i:i + a.batch]) for i in range(0, len(calib), a.batch)])
    error = ((got - ref).abs().max() / ref.abs().max()).item()
    agree = (got.argmax(1) == ref.argmax(1)).float().mean().item()

    if a.save_script:
        with torch.no_grad():
            traced = torch.jit.freeze(torch.jit.trace(quantized, x))
            traced.save(a.save_script)
            # The input and both outputs as raw little-endian float32, for checking the module in another runtime.
            x.numpy().astype("<f4").tofile(a.save_script + ".input.bin")
            quantized(x).numpy().astype("<f4").tofile(a.save_script + ".int8.bin")
            model(x).numpy().astype("<f4").tofile(a.save_script + ".fp32.bin")

    fp32 = model.to(memory_format=torch.channels_last)
    xq = x.to(memory_format=torch.channels_last) if a.channels_last else x
    xf = x.to(memory_format=torch.channels_last)
    int8_rounds, fp32_rounds = [], []
    with torch.no_grad():
        for _ in range(a.warmup):
            quantized(xq)
            if not a.skip_fp32:
                fp32(xf)
        for _ in range(a.rounds):
            int8_rounds.append(timed(quantized, xq, a.iterations))
            if not a.skip_fp32:
                fp32_rounds.append(timed(fp32, xf, a.iterations))
    if a.profile:
        with torch.no_grad(), torch.autograd.profiler.profile() as prof:
            quantized(xq)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15), file=sys.stderr)
    print(json.dumps({
        "model": a.model, "input": [a.c, a.h, a.w], "batch": a.batch, "engine": a.engine, "observer": a.observer,
        "calibration_images": len(calib), "calibration_seconds": round(calibration_seconds, 1),
        "int8_images_per_second": statistics.median(int8_rounds),
        "int8_rounds": [round(r, 1) for r in int8_rounds],
        "fp32_channels_last_images_per_second": statistics.median(fp32_rounds) if fp32_rounds else None,
        "fp32_rounds": [round(r, 1) for r in fp32_rounds],
        "int8_vs_fp32_max_logit_error": error, "int8_vs_fp32_top1_agreement": agree,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


if __name__ == "__main__":
    main()
