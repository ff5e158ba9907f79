#!/usr/bin/python3
"""Sanity check of class activation maps on real images: how much of the map's mass lies on the object.

    /usr/bin/python3 scripts/cam_foreground.py [IMAGES] [METHOD] [LAYER]

Writes the first IMAGES (default 500) Fashion-MNIST test images (Debian's dataset-fashion-mnist) as PNG files,
explains each with the bundled model (`./densenet4j explain --json`, top class, METHOD cam or gradcam), resizes
each map's positive part to 28x28 exactly as densenet4j draws it (bilinear, cell centres aligned), and
compares the share of its mass on the garment's own pixels (grey level > 0) with what a uniform map would put
there (the garment's share of the image). Needs numpy and PIL (python3-numpy, python3-pil).
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
method = sys.argv[2] if len(sys.argv) > 2 else "cam"
layer = ["--layer", sys.argv[3]] if len(sys.argv) > 3 else []
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:count]
folder = tempfile.mkdtemp(prefix="cam-foreground-")
for i, image in enumerate(images):
    Image.fromarray(image).save(os.path.join(folder, "test-%05d.png" % i))
result = subprocess.run([os.path.join(root, "densenet4j"), "explain", folder, "--method", method, *layer, "--json", "--out",
                         os.path.join(folder, "explained")], capture_output=True, text=True, check=True)
explanations = json.loads(result.stdout)["explanations"]


def resize_positive(values, h, w, size=28):
    """densenet4j's Explanation.positivePartResized: bilinear, cell centres aligned, edges clamped."""
    m = np.maximum(np.array(values, dtype=np.float64).reshape(h, w), 0)
    s = (np.arange(size) + 0.5) * h / size - 0.5
    s = np.clip(s, 0, h - 1)
    lo = np.floor(s).astype(int)
    hi = np.minimum(lo + 1, h - 1)
    f = s - lo
    rows = m[lo] * (1 - f)[:, None] + m[hi] * f[:, None]
    t = (np.arange(size) + 0.5) * w / size - 0.5
    t = np.clip(t, 0, w - 1)
    lo2 = np.floor(t).astype(int)
    hi2 = np.minimum(lo2 + 1, w - 1)
    f2 = t - lo2
    return rows[:, lo2] * (1 - f2)[None, :] + rows[:, hi2] * f2[None, :]


on_object, uniform, peaks_on_object, skipped = [], [], 0, 0
for e, image in zip(explanations, images):
    h, w = e["map_size"]
    heat = resize_positive(e["map"], h, w)
    total = heat.sum()
    if total <= 0:
        skipped += 1
        continue
    foreground = image > 0
    on_object.append(heat[foreground].sum() / total)
    uniform.append(foreground.mean())
    peaks_on_object += bool(foreground[e["peak"]["y"], e["peak"]["x"]])
n = len(on_object)
print(f"{method} {' '.join(layer[1:])}: {n} of {len(explanations)} maps with positive mass ({skipped} without); "
      f"mass on the object's pixels: mean {100 * np.mean(on_object):.1f}% "
      f"(median {100 * np.median(on_object):.1f}%) against {100 * np.mean(uniform):.1f}% for a uniform map; "
      f"peak on the object in {100 * peaks_on_object / n:.1f}% of images")
