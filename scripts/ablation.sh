#!/usr/bin/env bash
# What each performance step contributes: densenet4j alone, one configuration after another in one run,
# from the plain reference (NCHW, unfolded, glibc keeping freed memory) to the defaults. Prints a
# Markdown table for BENCHMARKS.md. Run it on a quiet machine (about 8 minutes on 2 cores).
#   scripts/ablation.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./densenet4j --version >/dev/null
measure() {  # label, allocator, bench arguments...
  local label=$1 alloc=$2; shift 2
  local json
  json=$(DENSENET4J_ALLOCATOR=$alloc ./densenet4j bench "$@" --warmup 4 --iterations 7 --json 2>/dev/null)
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("| %s | %s | %.1f | %.2f GiB |" % (sys.argv[2], sys.argv[3], d["images_per_second"], d["peak_rss_bytes"] / 2**30))' \
    "$json" "$name" "$label"
}
echo "| workload | configuration | img/s | peak RSS |"
echo "|---|---|---|---|"
for w in "densenet-bc-100-12 3x32x32 64" "densenet121 3x224x224 8"; do
  set -- $w
  name="$1 ${2#*x}, batch $3"
  shape=(--model "$1" --input "$2" --batch "$3")
  measure "plain, NCHW, glibc keeping freed memory" glibc "${shape[@]}" --mode infer --plain-inference --memory-format channels_first
  measure "plain, NCHW, jemalloc" jemalloc "${shape[@]}" --mode infer --plain-inference --memory-format channels_first
  measure "plain, channels-last, jemalloc" jemalloc "${shape[@]}" --mode infer --plain-inference
  measure "folded (default)" jemalloc "${shape[@]}" --mode infer
done
set -- densenet-bc-100-12 3x32x32 64
name="$1 ${2#*x}, batch $3"
shape=(--model "$1" --input "$2" --batch "$3")
measure "plain step, NCHW, glibc keeping freed memory" glibc "${shape[@]}" --mode train --memory-format channels_first
measure "plain step, NCHW, jemalloc" jemalloc "${shape[@]}" --mode train --memory-format channels_first
measure "plain step, channels-last, jemalloc (default)" jemalloc "${shape[@]}" --mode train
measure "memory-efficient step, channels-last, jemalloc" jemalloc "${shape[@]}" --mode train --memory-efficient
