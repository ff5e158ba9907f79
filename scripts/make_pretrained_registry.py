#!/usr/bin/python3
"""Writes densenet4j's registry of pretrained weights and ImageNet's class names from the installed torchvision
(Debian's python3-torchvision 0.14; nothing is downloaded):

usage: /usr/bin/python3 scripts/make_pretrained_registry.py core/src/main/resources/org/densenet4j/pretrained

  weights.json       one entry per torchvision DenseNet's IMAGENET1K_V1 weights: the model, the name "imagenet",
                     torchvision's URL, the SHA-256 prefix its file name carries (torch.hub checks the digest starts
                     with it), the key layout, the classes, the preprocessing of weights.transforms() and the
                     reported metrics and parameter count of weights.meta
  imagenet-1k.txt    the 1,000 class names of weights.meta["categories"], one a line, in class-index order
"""
import json
import os
import re
import sys

import torchvision
from torchvision.models import DenseNet121_Weights, DenseNet161_Weights, DenseNet169_Weights, DenseNet201_Weights

MODELS = {
    "densenet121": DenseNet121_Weights,
    "densenet161": DenseNet161_Weights,
    "densenet169": DenseNet169_Weights,
    "densenet201": DenseNet201_Weights,
}


def entry(model, weights):
    w = weights.IMAGENET1K_V1
    transforms = w.transforms()
    file_name = w.url.rsplit("/", 1)[1]
    prefix = re.search(r"-([a-f0-9]+)\.", file_name).group(1)
    metrics = w.meta["_metrics"]["ImageNet-1K"]
    return {
        "model": model,
        "name": "imagenet",
        "url": w.url,
        "sha256": prefix,
        "layout": "torchvision",
        "classes": "imagenet-1k",
        "source": f"torchvision {torchvision.__version__.split('a')[0]} {weights.__name__}.IMAGENET1K_V1",
        "resize": transforms.resize_size[0],
        "crop": transforms.crop_size[0],
        "mean": list(transforms.mean),
        "std": list(transforms.std),
        "top1": metrics["acc@1"],
        "top5": metrics["acc@5"],
        "parameters": w.meta["num_params"],
    }


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    registry = {"weights": [entry(m, w) for m, w in MODELS.items()]}
    with open(os.path.join(out, "weights.json"), "w") as f:
        json.dump(registry, f, indent=2)
        f.write("\n")
    categories = DenseNet121_Weights.IMAGENET1K_V1.meta["categories"]
    assert len(categories) == 1000 and all("\n" not in c for c in categories)
    with open(os.path.join(out, "imagenet-1k.txt"), "w") as f:
        f.write("\n".join(categories) + "\n")
    print("registry and class names in", out)


if __name__ == "__main__":
    main()
