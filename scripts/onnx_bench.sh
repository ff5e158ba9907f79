#!/usr/bin/env bash
# Throughput of densenet4j's exported ONNX models in ONNX Runtime (full optimisation, 2 threads) against
# densenet4j's own folded inference, same run, same workloads as the harness: densenet121 224x224 batch 8 and
# the blog code's cifar-densenet121 32x32 batch 64. One process at a time (libtorch's and ORT's threads spin).
#   scripts/onnx_parity.sh DIR && scripts/onnx_bench.sh DIR      (DIR holds the .pth and .onnx files)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$1"
. "$root/scripts/allocator.sh"
ort_cp="$root/bench/target/densenet4j-bench-0.1.0-SNAPSHOT.jar:$(cat "$root/bench/target/classpath.txt")"
lscpu | grep 'Model name' | sed 's/  */ /g'
echo "| workload | densenet4j folded img/s | ORT, exported as is, img/s | ORT, exported --fold, img/s |"
echo "|---|---|---|---|"
for spec in "densenet121 224 8" "cifar-densenet121 32 64"; do
  read -r model side batch <<<"$spec"
  d4j=$("$root/densenet4j" bench --model "$model" --input "3x${side}x${side}" --batch "$batch" --warmup 3 \
    --iterations 10 --json | /usr/bin/python3 -c "import json,sys; print('%.1f' % json.load(sys.stdin)['images_per_second'])")
  ort=()
  for tag in "$model" "$model-folded"; do
    ort+=("$(env LD_PRELOAD="$JEMALLOC_LIB" MALLOC_CONF="$JEMALLOC_CONF" java -cp "$ort_cp" \
      org.densenet4j.bench.peers.OnnxRuntimeBench "$dir/$tag.onnx" "$batch" 3 "$side" "$side" 2 3 10 |
      /usr/bin/python3 -c "import json,sys; print('%.1f' % json.load(sys.stdin)['images_per_second'])")")
  done
  echo "| $model ${side}x${side} batch $batch | $d4j | ${ort[0]} | ${ort[1]} |"
done
