#!/usr/bin/env bash
# densenet121 in torchvision's layout, end to end at 224: random ImageNet-shaped weights made by torchvision
# (Debian python3-torchvision; no download), a small folder of two classes cut from the photographs scikit-learn
# ships (random crops and flips, 12 training and 4 test images per class), one epoch of fine-tuning. Shows the
# classifier re-initialised (1000 -> 2 classes), the ImageNet pipeline taken from the weights, and the pipeline
# stored with the fine-tuned model for predict.
# usage: scripts/finetune_densenet121.sh [WORK_DIR]   (run alone: two busy JVMs slow each other)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/densenet4j-finetune-densenet121}
rm -rf "$work"
mkdir -p "$work"
/usr/bin/python3 - "$work" <<'PY'
import os, random, sys
import torch, torchvision
from PIL import Image
from sklearn.datasets import load_sample_images
out = sys.argv[1]
torch.manual_seed(0)
torch.save(torchvision.models.densenet121().state_dict(), os.path.join(out, "densenet121.pth"))
random.seed(0)
data = load_sample_images()
for name, arr in zip(data.filenames, data.images):
    cls = os.path.splitext(os.path.basename(name))[0]
    img = Image.fromarray(arr)
    for split, n in (("train", 12), ("test", 4)):
        os.makedirs(os.path.join(out, "photos", split, cls), exist_ok=True)
        for i in range(n):
            w, h = random.randint(200, 427), random.randint(200, 427)
            x, y = random.randint(0, 640 - w), random.randint(0, 427 - h)
            crop = img.crop((x, y, x + w, y + h))
            if random.random() < 0.5:
                crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
            crop.save(os.path.join(out, "photos", split, cls, f"{i}.jpg"), quality=90)
PY
lscpu | grep "Model name"
/usr/bin/time -f "train: %e s wall, %M KB peak RSS" ./densenet4j train --weights "$work/densenet121.pth" \
    --model densenet121 --dataset "$work/photos" --epochs 1 --batch-size 8 --lr 0.01 --no-augment \
    --run-dir "$work/run" --show 0
./densenet4j predict "$work/photos/test/china/0.jpg" "$work/photos/test/flower/0.jpg" \
    --checkpoint "$work/run/checkpoint.d4j" --topk 2
/usr/bin/python3 -c "import json,zipfile,sys; print('stored input:', json.loads(zipfile.ZipFile(sys.argv[1]).read('checkpoint.json'))['input'])" "$work/run/checkpoint.d4j"
