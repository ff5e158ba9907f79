#!/usr/bin/env bash
# int8 against PyTorch's int8, interleaved: ROUNDS rounds, each timing densenet4j `bench --precision int8` (its own
# int8 TorchScript through libtorch's fbgemm, calibrated on the benchmark's input batch) and PyTorch 1.13's FX
# post-training static quantization (scripts/int8_peer.py: per-channel int8 weights, the onednn engine, 64
# Fashion-MNIST calibration images: speed does not depend on how many), one process at a time, jemalloc for all,
# 2 threads; per round the ratio, then the median ratio and the range.
#   scripts/int8_bench.sh MODEL C H W BATCH [ROUNDS]
#   scripts/int8_bench.sh densenet121 3 224 224 8 5
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model=$1 c=$2 h=$3 w=$4 batch=$5 rounds=${6:-5}
. "$root/scripts/allocator.sh"
lscpu | grep 'Model name' | sed 's/  */ /g'
grep -q -w -e avx512_vnni -e amx_int8 /proc/cpuinfo || { echo "no avx512_vnni or amx_int8 on this CPU" >&2; exit 2; }
"$root/densenet4j" --version >/dev/null
field() { /usr/bin/python3 -c "import json,sys; print('%.1f' % json.load(sys.stdin)['$1'])"; }
ratios=()
echo "round densenet4j-int8 pytorch-int8-onednn ratio"
for r in $(seq 1 "$rounds"); do
  mine=$("$root/densenet4j" bench --model "$model" --input "${c}x${h}x${w}" --batch "$batch" --precision int8 \
    --warmup 20 --iterations 9 --json | field images_per_second)
  # PyTorch 1.13 computes right with the machine's full ISA (see scripts/onednn.sh): no cap for it
  peer=$(env -u ONEDNN_MAX_CPU_ISA LD_PRELOAD="$JEMALLOC_LIB" MALLOC_CONF="$JEMALLOC_CONF" /usr/bin/python3 \
    "$root/scripts/int8_peer.py" "$model" "$c" "$h" "$w" "$batch" --engine onednn --calibrate-images 64 \
    --warmup 20 --iterations 9 --rounds 1 --skip-fp32 | field int8_images_per_second)
  ratio=$(/usr/bin/python3 -c "print('%.2f' % ($mine / $peer))")
  ratios+=("$ratio")
  echo "$r $mine $peer ${ratio}x"
done
/usr/bin/python3 -c "import statistics, sys; r = list(map(float, sys.argv[1:])); \
print('median ratio %.2fx, rounds %.2fx-%.2fx' % (statistics.median(r), min(r), max(r)))" "${ratios[@]}"
