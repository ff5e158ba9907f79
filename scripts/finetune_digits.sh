#!/usr/bin/env bash
# Fine-tuning against training from scratch on real data with no download: sklearn's UCI handwritten digits
# (Debian python3-sklearn), 1,347 training and 450 held-out images (fixed stratified split), upsampled to 28x28.
# Every run: DenseNet-BC-40-12, 4 epochs, lr 0.05 with the step schedule, batch 64, no augmentation (flipped
# digits are other digits). Fine-tuning starts from the bundled Fashion-MNIST model.
# usage: scripts/finetune_digits.sh [WORK_DIR]   (run alone: two busy JVMs slow each other)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/densenet4j-finetune-digits}
rm -rf "$work"
/usr/bin/python3 scripts/digits_to_folder.py "$work/digits"
common=(--dataset "$work/digits" --channels 1 --image-size 28 --epochs 4 --lr 0.05 --no-augment --show 0)
weights=models/fashion-mnist/densenet-bc-40-12.d4j
lscpu | grep "Model name"
run() {
    local name=$1
    shift
    local start=$(date +%s.%N)
    ./densenet4j train "${common[@]}" --run-dir "$work/$name" "$@" > "$work/$name.log" 2>&1
    local end=$(date +%s.%N)
    printf "%-34s top-1 %s  training %s s  wall %.1f s\n" "$name" \
        "$(grep -oP 'top-1 accuracy: \K[0-9.]+%' "$work/$name.log")" \
        "$(grep -oP '\(\K[0-9]+(?= s of training)' "$work/$name.log")" "$(echo "$end - $start" | bc)"
}
run scratch --model densenet-bc-40-12
run finetune --weights "$weights"
run finetune-freeze-block2-lr0.1 --weights "$weights" --freeze block2 --backbone-lr-scale 0.1
run linear-probe-slow-path --weights "$weights" --freeze features --no-feature-cache
run linear-probe --weights "$weights" --freeze features
