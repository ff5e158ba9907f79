#!/usr/bin/python3
"""Makes the fixture of PretrainedParityTest: torchvision's densenet121 answers on two real photographs, with
weights that a formula gives (so that the test generates the same 32 MB file in Java instead of committing it).
Debian's python3-torchvision 0.14 and python3-sklearn; nothing is downloaded.

usage: /usr/bin/python3 scripts/make_pretrained_fixture.py core/src/test/resources/pretrained-fixture

The weights: each float tensor of torchvision's densenet121 state dict, its keys sorted, key number t (from 0)
holding value i = u(t, i), u = splitmix64(t * 2^32 + i) >> 40 scaled to [0, 1) (exact in float32):
  - convolutions and the classifier: (2u - 1) * sqrt(6 / fan_in) * gain (gain 1, the classifier's CLASSIFIER_GAIN)
  - BN weight 0.5 + u, BN bias (u - 0.5) / 5, running mean (u - 0.5) / 5, running var 0.5 + u
  - the classifier's bias (u - 0.5) / 5
computed in float64 and rounded once to float32 (PretrainedFixtureWeights.java does the same).

Writes expected.json: for china and flower (sklearn's sample photographs, the PNGs of resize-fixtures) the top-5
class indices and softmax probabilities of torchvision's pipeline (DenseNet121_Weights.IMAGENET1K_V1.transforms()
on the PIL image), and a checksum of the weights (the sum of every value in float64) to catch a generator mismatch.
"""
import json
import math
import os
import sys

import numpy as np
import torch
from PIL import Image
from sklearn.datasets import load_sample_images
from torchvision.models import DenseNet121_Weights, densenet121

CLASSIFIER_GAIN = 2.0
M64 = (1 << 64) - 1


def uniform(t, n):
    z = (np.uint64(t) << np.uint64(32)) + np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)


def value(key, shape, t):
    n = int(np.prod(shape))
    u = uniform(t, n)
    if key.endswith("weight") and len(shape) > 1:
        fan_in = int(np.prod(shape[1:]))
        gain = CLASSIFIER_GAIN if key.startswith("classifier") else 1.0
        v = (2 * u - 1) * (math.sqrt(6.0 / fan_in) * gain)
    elif key.endswith("running_var") or key.endswith("weight"):
        v = 0.5 + u
    else:
        v = (u - 0.5) / 5
    return v.astype(np.float32).reshape(shape)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    model = densenet121()
    state = model.state_dict()
    keys = sorted(k for k in state if not k.endswith("num_batches_tracked"))
    total = 0.0
    for t, k in enumerate(keys):
        v = value(k, tuple(state[k].shape), t)
        total += float(v.astype(np.float64).sum())
        state[k] = torch.from_numpy(v)
    model.load_state_dict(state)
    model.eval()
    transform = DenseNet121_Weights.IMAGENET1K_V1.transforms()
    data = load_sample_images()
    images = {}
    for name, array in zip(data.filenames, data.images):
        stem = os.path.splitext(os.path.basename(name))[0]
        with torch.no_grad():
            p = torch.softmax(model(transform(Image.fromarray(array)).unsqueeze(0)).double(), dim=1)[0]
        top = torch.topk(p, 5)
        images[stem] = {"indices": top.indices.tolist(), "probabilities": top.values.tolist()}
        print(stem, images[stem])
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"model": "densenet121", "tensors": len(keys), "sum": total, "images": images}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
