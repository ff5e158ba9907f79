#!/usr/bin/env bash
# int8 accuracy of a densenet121 fine-tuned at 224 (issue 25's second accuracy target: within 0.5 points of
# float32, >= 99% of labels the same). No ImageNet weights are reachable offline, so the network starts from
# torchvision's own initialisation (Debian python3-torchvision, seed 0, no download) and is trained on the UCI
# handwritten digits (scikit-learn, 1,347 training / 450 test images, fixed stratified split), each 8x8 digit
# upsampled to 32x32 PNG and taken through the weights' ImageNet pipeline (Resize(256) + CenterCrop(224), RGB).
# Then the fine-tuned checkpoint is evaluated in float32 and in int8 (calibrated on 256 training images, min/max),
# and both label every test image, which python compares.
# usage: scripts/int8_finetuned_accuracy.sh [WORK_DIR] [EPOCHS]   (run alone: two busy JVMs slow each other)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/densenet4j-int8-densenet121}
epochs=${2:-4}
rm -rf "$work"
mkdir -p "$work"
/usr/bin/python3 scripts/digits_to_folder.py "$work/digits" --size 32
/usr/bin/python3 - "$work" <<'PY'
import os, sys
import torch, torchvision
torch.manual_seed(0)
torch.save(torchvision.models.densenet121().state_dict(), os.path.join(sys.argv[1], "densenet121.pth"))
PY
lscpu | grep "Model name"
/usr/bin/time -f "train: %e s wall, %M KB peak RSS" ./densenet4j train --weights "$work/densenet121.pth" \
    --model densenet121 --dataset "$work/digits" --epochs "$epochs" --batch-size 16 --lr 0.03 --no-augment \
    --run-dir "$work/run" --show 0
checkpoint="$work/run/checkpoint.d4j"
./densenet4j eval --checkpoint "$checkpoint" --dataset "$work/digits" --json > "$work/eval-fp32.json"
/usr/bin/time -f "eval int8 (calibrating): %e s wall" ./densenet4j eval --checkpoint "$checkpoint" \
    --dataset "$work/digits" --precision int8 --calibrate "$work/digits/train" --calibrate-images 256 --json \
    > "$work/eval-int8.json"
./densenet4j predict --checkpoint "$checkpoint" --topk 1 --json "$work/digits/test" > "$work/labels-fp32.json"
./densenet4j predict --checkpoint "$checkpoint" --topk 1 --json --precision int8 "$work/digits/test" \
    > "$work/labels-int8.json"
/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
fp32 = json.load(open(f"{work}/eval-fp32.json"))
int8 = json.load(open(f"{work}/eval-int8.json"))
def top1(e):
    return e["top1"]
def labels(name):
    return {e["file"]: e["top"][0]["label"] for e in json.load(open(f"{work}/{name}"))["predictions"]}
a, b = labels("labels-fp32.json"), labels("labels-int8.json")
same = sum(a[k] == b[k] for k in a) / len(a)
d = 100 * (top1(int8) - top1(fp32))
print(f"top-1 float32 {100 * top1(fp32):.2f}%, int8 {100 * top1(int8):.2f}% ({d:+.2f} points; target within 0.5): "
      + ("PASS" if abs(d) <= 0.5 else "FAIL"))
print(f"labels the same: {100 * same:.2f}% of {len(a)} (target >= 99%): " + ("PASS" if same >= 0.99 else "FAIL"))
PY
