#!/usr/bin/env bash
# Throughput of densenet4j's exported models, ONNX in ONNX Runtime (full optimisation, 2 threads) and TorchScript
# in PyTorch 1.13 (torch.jit.load, 2 threads, no grad), against densenet4j's own folded inference, same run, same
# workloads as the harness: densenet121 224x224 batch 8 and the blog code's cifar-densenet121 32x32 batch 64. One
# process at a time (libtorch's and ORT's threads spin).
#   scripts/export_parity.sh DIR && scripts/export_bench.sh DIR      (DIR holds the .pth and .onnx files)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$1"
. "$root/scripts/allocator.sh"
ort_cp="$root/peers/target/densenet4j-peers-0.1.0-SNAPSHOT.jar:$(cat "$root/peers/target/classpath.txt")"
lscpu | grep 'Model name' | sed 's/  */ /g'
echo "| workload | densenet4j folded img/s | ORT, exported as is, img/s | ORT, exported --fold, img/s | PyTorch, TorchScript export, img/s |"
echo "|---|---|---|---|---|"
for spec in "densenet121 224 8" "cifar-densenet121 32 64"; do
  read -r model side batch <<<"$spec"
  d4j=$("$root/densenet4j" bench --model "$model" --input "3x${side}x${side}" --batch "$batch" --warmup 3 \
    --iterations 10 --json | /usr/bin/python3 -c "import json,sys; print('%.1f' % json.load(sys.stdin)['images_per_second'])")
  ort=()
  for tag in "$model" "$model-folded"; do
    ort+=("$(env LD_PRELOAD="$JEMALLOC_LIB" MALLOC_CONF="$JEMALLOC_CONF" java -cp "$ort_cp" \
      org.densenet4j.peers.OnnxRuntimeBench "$dir/$tag.onnx" "$batch" 3 "$side" "$side" 2 3 10 |
      /usr/bin/python3 -c "import json,sys; print('%.1f' % json.load(sys.stdin)['images_per_second'])")")
  done
  ts=$(env LD_PRELOAD="$JEMALLOC_LIB" MALLOC_CONF="$JEMALLOC_CONF" /usr/bin/python3 - "$dir/$model-scripted.pt" \
    "$batch" "$side" <<'PY'
import sys, time, torch
torch.set_num_threads(2)
model = torch.jit.load(sys.argv[1]).eval()
batch, side = int(sys.argv[2]), int(sys.argv[3])
x = torch.randn(batch, 3, side, side)
times = []
with torch.no_grad():
    for i in range(13):
        start = time.perf_counter(); model(x); elapsed = time.perf_counter() - start
        if i >= 3:
            times.append(elapsed)
times.sort()
print("%.1f" % (batch / times[len(times) // 2]))
PY
)
  echo "| $model ${side}x${side} batch $batch | $d4j | ${ort[0]} | ${ort[1]} | $ts |"
done
