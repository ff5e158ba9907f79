#!/usr/bin/env bash
# Profile evidence for BENCHMARKS.md: how much of one pass oneDNN's convolutions take, for densenet4j or
# PyTorch on the same workload. Runs the workload twice: once for the median time of a pass, once with
# DNNL_VERBOSE=1 to sum the execution time of every oneDNN primitive (convolutions, reorders) per pass.
# Whatever is left is spent outside oneDNN: BN, ReLU, concatenation, pooling, their backward, overhead.
#   scripts/profile_onednn.sh densenet4j|pytorch MODEL C H W BATCH infer|train [extra bench flags]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
who=$1 model=$2 c=$3 h=$4 w=$5 b=$6 mode=$7; shift 7
. scripts/allocator.sh  # PyTorch runs under the launcher's allocator setting
warmup=3 iterations=5
run() {
  if [ "$who" = densenet4j ]; then
    ./densenet4j bench --model "$model" --input "${c}x${h}x${w}" --batch "$b" --mode "$mode" \
      --warmup $warmup --iterations $iterations --json "$@"
  else
    env LD_PRELOAD="$JEMALLOC_LIB" MALLOC_CONF="$JEMALLOC_CONF" \
      /usr/bin/python3 scripts/bench_pytorch.py "$model" "$c" "$h" "$w" "$b" "$mode" --threads 2 \
      --warmup $warmup --iterations $iterations
  fi
}
median=$(run "$@" 2>/dev/null | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["median_seconds"])')
# oneDNN 3 (libtorch 2.7) writes "onednn_verbose,v1,primitive,exec,cpu,KIND,...", oneDNN 2 (PyTorch 1.13)
# "onednn_verbose,exec,cpu,KIND,...": drop the difference, the execution time is the last field either way.
DNNL_VERBOSE=1 run "$@" 2>/dev/null | sed -n 's/^onednn_verbose,\(v1,primitive,\)\{0,1\}exec,cpu,/x,/p' |
  awk -F, -v passes=$((warmup + iterations)) -v median="$median" -v label="$who $model ${h}x${w} batch $b $mode" '
    { t[$2] += $NF }
    END {
      total = 0; for (k in t) total += t[k] / passes
      printf "| %s | %.0f ms |", label, median * 1000
      printf " %.0f ms | %.0f ms |", t["convolution"] / passes, t["reorder"] / passes
      printf " %.0f ms (%.0f%%) |\n", median * 1000 - total, (median * 1000 - total) / (median * 1000) * 100
    }'
