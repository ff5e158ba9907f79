#!/usr/bin/python3
"""Writes scikit-learn's UCI handwritten digits (1,797 images of 8x8, Debian's python3-sklearn, no download)
as a folder of PNG class folders, train/ and test/, for fine-tuning runs.

usage: /usr/bin/python3 scripts/digits_to_folder.py OUT_DIR [--test-fraction 0.25] [--size 28]

Each image's 17 grey levels (0..16) become 0..255; --size upsamples with bilinear resizing so that a model
pretrained on 28x28 Fashion-MNIST can take them. The split is stratified and fixed (seed 0), so every run
of a comparison sees the same held-out images.
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--test-fraction", type=float, default=0.25)
    p.add_argument("--size", type=int, default=28)
    a = p.parse_args()
    if os.path.exists(a.out) and os.listdir(a.out):
        sys.exit(f"{a.out} exists and is not empty: choose a new folder")
    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    idx = np.arange(len(images))
    train, test = train_test_split(idx, test_size=a.test_fraction, random_state=0, stratify=digits.target)
    for split, members in (("train", train), ("test", test)):
        for i in members:
            folder = os.path.join(a.out, split, str(digits.target[i]))
            os.makedirs(folder, exist_ok=True)
            img = Image.fromarray(images[i], mode="L")
            if a.size != 8:
                img = img.resize((a.size, a.size), Image.BILINEAR)
            img.save(os.path.join(folder, f"{i:04d}.png"))
    print(f"{len(train)} training and {len(test)} test images in {a.out}")


if __name__ == "__main__":
    main()
