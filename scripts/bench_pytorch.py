#!/usr/bin/python3
"""The PyTorch peer of the benchmark harness (scripts/benchmark.sh), on Debian's python3-torch.

    bench_pytorch.py MODEL C H W BATCH MODE [--onnx OUT.onnx] [--threads 2] [--channels-last] [--bf16]

MODE is infer or train (forward, backward, SGD with Nesterov momentum 0.9 and weight decay 1e-4).
--channels-last stores the model and input as channels_last; --bf16 runs under torch.autocast("cpu",
dtype=torch.bfloat16): PyTorch's best settings on a CPU with native bfloat16.
Prints one JSON object: images_per_second, median_seconds, peak_rss_bytes.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torch_fixtures import BlogDenseNet  # noqa: E402


def build(name, channels, classes):
    if name.startswith("densenet") and name[8:].isdigit():
        return getattr(torchvision.models, name)(num_classes=classes)
    if name.startswith("densenet-bc-"):
        depth, k = map(int, name[len("densenet-bc-"):].split("-"))
        n = (depth - 4) // 6
        model = torchvision.models.DenseNet(growth_rate=k, block_config=(n, n, n), num_init_features=2 * k,
                                            bn_size=4, num_classes=classes)
        # The paper's CIFAR stem: one 3x3 convolution, no BN/ReLU/max-pool before the first block.
        model.features.conv0 = nn.Conv2d(channels, 2 * k, kernel_size=3, padding=1, bias=False)
        model.features.norm0 = nn.Identity()
        model.features.relu0 = nn.Identity()
        model.features.pool0 = nn.Identity()
        return model
    blog = {"cifar-densenet121": ([6, 12, 24, 16], 32), "cifar-densenet169": ([6, 12, 32, 32], 32),
            "cifar-densenet201": ([6, 12, 48, 32], 32), "cifar-densenet161": ([6, 12, 36, 24], 48),
            "cifar-densenet": ([6, 12, 24, 16], 12)}
    if name in blog:
        blocks, k = blog[name]
        return BlogDenseNet(blocks, growth_rate=k, num_classes=classes)
    raise SystemExit(f"unknown model {name}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("c", type=int)
    p.add_argument("h", type=int)
    p.add_argument("w", type=int)
    p.add_argument("batch", type=int)
    p.add_argument("mode", choices=["infer", "train"])
    p.add_argument("--classes", type=int, default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--onnx", default=None)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--bf16", action="store_true", help="torch.autocast to bfloat16")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    classes = a.classes or (1000 if a.model[8:].isdigit() else 10)
    model = build(a.model, a.c, classes)
    x = torch.randn(a.batch, a.c, a.h, a.w)
    y = torch.randint(0, classes, (a.batch,))
    if a.onnx:
        model.eval()
        torch.onnx.export(model, x, a.onnx, opset_version=13, input_names=["images"], output_names=["logits"])
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16)
    times = []
    if a.mode == "infer":
        model.eval()
        with torch.no_grad():
            for i in range(a.warmup + a.iterations):
                start = time.perf_counter()
                with autocast:
                    model(x)
                if i >= a.warmup:
                    times.append(time.perf_counter() - start)
    else:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
        for i in range(a.warmup + a.iterations):
            start = time.perf_counter()
            opt.zero_grad()
            with autocast:
                loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            if i >= a.warmup:
                times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(json.dumps({"images_per_second": a.batch / median, "median_seconds": median,
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


if __name__ == "__main__":
    main()
