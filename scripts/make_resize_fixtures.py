#!/usr/bin/python3
"""Makes the fixtures of ResizeParityTest: torchvision 0.14's resizing of real photographs, as densenet4j must
reproduce it (Debian's python3-torchvision and python3-sklearn; no download).

usage: /usr/bin/python3 scripts/make_resize_fixtures.py core/src/test/resources/resize-fixtures

Writes the two photographs scikit-learn ships (china.jpg, flower.jpg, 427x640) as lossless PNG sources (so that
JPEG decoders cannot differ), and for each case torchvision's output on the PIL image, also as lossless PNG:
  - imagenet: Resize(256) + CenterCrop(224), the evaluation pipeline of torchvision's ImageNet weights;
  - other sizes: downscaling strongly (antialiasing matters), an exact size, upscaling a crop, an odd crop;
  - grey: the same pipeline on the photograph converted to "L".
"""
import os
import sys

from PIL import Image
from sklearn.datasets import load_sample_images
from torchvision import transforms

CASES = {
    "imagenet": transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)]),
    "down-57": transforms.Resize(57),
    "exact-100x37": transforms.Resize((100, 37)),
    "up-crop60x80-150": transforms.Compose([transforms.CenterCrop((60, 80)), transforms.Resize(150)]),
    "crop-odd-255": transforms.Compose([transforms.Resize(255), transforms.CenterCrop(224)]),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    data = load_sample_images()
    for name, array in zip(data.filenames, data.images):
        stem = os.path.splitext(os.path.basename(name))[0]
        img = Image.fromarray(array)
        img.save(os.path.join(out, stem + ".png"))
        for case, transform in CASES.items():
            transform(img).save(os.path.join(out, f"{stem}.{case}.png"))
        grey = img.convert("L")
        grey.save(os.path.join(out, stem + ".grey.png"))
        CASES["imagenet"](grey).save(os.path.join(out, f"{stem}.grey.imagenet.png"))
    print("fixtures in", out)


if __name__ == "__main__":
    main()
