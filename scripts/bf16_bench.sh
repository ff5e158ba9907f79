#!/usr/bin/env bash
# bf16 against PyTorch's bf16 autocast, interleaved: ROUNDS rounds, each timing densenet4j `bench --precision bf16`
# and PyTorch 1.13 under torch.autocast("cpu", dtype=torch.bfloat16) in NCHW and in channels_last, one process at a
# time, jemalloc for all, 2 threads; per round the ratio to the faster PyTorch run, then the median ratio. The
# harness (scripts/benchmark.sh) measures every workload once; this repeats one, because this machine's speed drifts
# by 10-20% from minute to minute and a single run cannot tell 1.15x from 1.25x.
#   scripts/bf16_bench.sh MODEL C H W BATCH infer|train [ROUNDS]
#   scripts/bf16_bench.sh densenet-bc-100-12 3 32 32 64 train 5
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model=$1 c=$2 h=$3 w=$4 batch=$5 mode=$6 rounds=${7:-5}
. "$root/scripts/allocator.sh"
lscpu | grep 'Model name' | sed 's/  */ /g'
grep -q -w -e avx512_bf16 -e amx_bf16 /proc/cpuinfo || { echo "no native bfloat16 on this CPU" >&2; exit 2; }
"$root/densenet4j" --version >/dev/null
rate() { /usr/bin/python3 -c "import json,sys; print('%.1f' % json.load(sys.stdin)['images_per_second'])"; }
pytorch() {
  env LD_PRELOAD="$JEMALLOC_LIB" MALLOC_CONF="$JEMALLOC_CONF" /usr/bin/python3 "$root/scripts/bench_pytorch.py" \
    "$model" "$c" "$h" "$w" "$batch" "$mode" --threads 2 --warmup 20 --iterations 9 --bf16 "$@" | rate
}
ratios=()
echo "round densenet4j-bf16 pytorch-bf16-nchw pytorch-bf16-channels-last ratio"
for r in $(seq 1 "$rounds"); do
  mine=$("$root/densenet4j" bench --model "$model" --input "${c}x${h}x${w}" --batch "$batch" --mode "$mode" \
    --precision bf16 --warmup 20 --iterations 9 --json | rate)
  nchw=$(pytorch)
  cl=$(pytorch --channels-last)
  ratio=$(/usr/bin/python3 -c "print('%.2f' % ($mine / max($nchw, $cl)))")
  ratios+=("$ratio")
  echo "$r $mine $nchw $cl ${ratio}x"
done
/usr/bin/python3 -c "import statistics, sys; print('median ratio %.2fx' % statistics.median(map(float, sys.argv[1:])))" \
  "${ratios[@]}"
