#!/usr/bin/env bash
# The benchmark harness: measures densenet4j, PyTorch (Debian python3-torch, 2 threads) and ONNX Runtime
# (Java, on the same model exported from PyTorch) on the same machine in one run, in float32 and (where the CPU
# has native bfloat16) in bf16 mixed precision, int8 inference against PyTorch's own int8 (FX static quantization,
# onednn engine, the same calibration images) in interleaved rounds where the CPU has avx512_vnni or amx_int8, plus
# the machine's FP32 matrix-multiply peak, and rewrites the harness section of BENCHMARKS.md.
#   scripts/benchmark.sh            # full run (about 20 minutes on 2 cores)
#   QUICK=1 scripts/benchmark.sh    # fewer iterations, for a smoke test
# Run it on a quiet machine: libtorch's OpenMP threads spin, two busy processes slow each other 7-10x.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/target/benchmark"
mkdir -p "$out"
# libtorch needs several passes before its timings settle (oneDNN primitives, allocator), and the JVM's JIT
# compiler keeps compiling for the first dozen or so (its threads take cores from libtorch's: with 6 warm-up passes
# densenet4j's bf16 training step measured 101 or 130 img/s from run to run, with 20 it measured 129-134): warm up
# well, every peer alike.
warmup=20; iterations=9
int8_rounds=5
if [ -n "${QUICK:-}" ]; then warmup=1; iterations=2; int8_rounds=1; fi
threads=2

./densenet4j --version >/dev/null  # builds the command line if needed (and installs jemalloc when it can)
(mvn -q -B -DskipTests -pl peers -am package >&2)
ort_cp="$root/peers/target/densenet4j-peers-0.1.0-SNAPSHOT.jar:$(cat "$root/peers/target/classpath.txt")"

# The allocator matters as much as the kernels here (BENCHMARKS.md): densenet4j runs as its launcher runs
# it (jemalloc, never returning memory); each peer runs both as installed (glibc malloc) and with that same
# jemalloc setting, and the ratios are taken against the peer's faster run.
. scripts/allocator.sh
[ -f "$JEMALLOC_LIB" ] || { echo "benchmark.sh: $JEMALLOC_LIB is missing (Debian package libjemalloc2)" >&2; exit 1; }
declare -A alloc_env=([glibc]="" [jemalloc]="LD_PRELOAD=$JEMALLOC_LIB MALLOC_CONF=$JEMALLOC_CONF")

d4j_bench() {  # output-file, bench arguments...
  local file=$1; shift
  echo "densenet4j $*" >&2
  ./densenet4j bench "$@" --warmup $warmup --iterations $iterations --json > "$out/$file.json"
}

# bf16 rows need a CPU with native bfloat16 (densenet4j refuses it elsewhere, and PyTorch would emulate it).
bf16=""; grep -qw -e avx512_bf16 -e amx_bf16 /proc/cpuinfo && bf16=1
# int8 rows need avx512_vnni or amx_int8 (densenet4j refuses int8 elsewhere).
int8=""; grep -qw -e avx512_vnni -e amx_int8 /proc/cpuinfo && int8=1

run_workload() {  # model c h w batch
  local model=$1 c=$2 h=$3 w=$4 b=$5 tag="$1-$3-b$5"
  local shape=(--model "$model" --input "${c}x${h}x${w}" --batch "$b")
  ./densenet4j summary --model "$model" --input "${c}x${h}x${w}" --json > "$out/summary-$tag.json"
  d4j_bench "densenet4j-$tag-infer" "${shape[@]}" --mode infer
  d4j_bench "densenet4j-$tag-train" "${shape[@]}" --mode train
  d4j_bench "densenet4j-$tag-train-me" "${shape[@]}" --mode train --memory-efficient
  if [ -n "$bf16" ]; then
    d4j_bench "densenet4j-bf16-$tag-infer" "${shape[@]}" --mode infer --precision bf16
    d4j_bench "densenet4j-bf16-$tag-train" "${shape[@]}" --mode train --precision bf16
    d4j_bench "densenet4j-bf16-$tag-train-me" "${shape[@]}" --mode train --memory-efficient --precision bf16
  fi
  # int8 inference against PyTorch's int8 (FX, onednn), in interleaved rounds: the median and range of each
  if [ -n "$int8" ]; then
    echo "int8 rounds $tag" >&2
    WARMUP=$warmup ITERATIONS=$iterations scripts/int8_bench.sh "$model" "$c" "$h" "$w" "$b" "$int8_rounds" \
      --json "$out/int8-$tag.json" >&2
  fi
  # PyTorch in its best settings, with jemalloc (its faster allocator in every run so far): channels_last, and
  # bf16 autocast in both memory formats.
  local variants=(cl); [ -n "$bf16" ] && variants+=(bf16 cl-bf16)
  for variant in "${variants[@]}"; do
    local flags=()
    [[ $variant == *cl* ]] && flags+=(--channels-last)
    [[ $variant == *bf16* ]] && flags+=(--bf16)
    for mode in infer train; do
      echo "pytorch (jemalloc, $variant) $tag $mode" >&2
      env ${alloc_env[jemalloc]} /usr/bin/python3 scripts/bench_pytorch.py "$model" "$c" "$h" "$w" "$b" "$mode" \
        --threads $threads --warmup $warmup --iterations $iterations "${flags[@]}" \
        > "$out/pytorch-jemalloc-$variant-$tag-$mode.json" 2>"$out/pytorch-jemalloc-$variant-$tag-$mode.log"
    done
  done
  for alloc in glibc jemalloc; do
    for mode in infer train; do
      echo "pytorch ($alloc) $tag $mode" >&2
      local onnx=()
      [ "$mode" = infer ] && [ "$alloc" = glibc ] && onnx=(--onnx "$out/$tag.onnx")
      env ${alloc_env[$alloc]} /usr/bin/python3 scripts/bench_pytorch.py "$model" "$c" "$h" "$w" "$b" "$mode" \
        --threads $threads --warmup $warmup --iterations $iterations "${onnx[@]}" \
        > "$out/pytorch-$alloc-$tag-$mode.json" 2>"$out/pytorch-$alloc-$tag-$mode.log"
    done
    echo "onnxruntime ($alloc) $tag infer" >&2
    env ${alloc_env[$alloc]} java -cp "$ort_cp" org.densenet4j.peers.OnnxRuntimeBench "$out/$tag.onnx" "$b" \
      "$c" "$h" "$w" $threads $warmup $iterations > "$out/onnxruntime-$alloc-$tag-infer.json"
  done
}

run_workload densenet121 3 224 224 8
run_workload densenet-bc-100-12 3 32 32 64
run_workload cifar-densenet121 3 32 32 64

# Memory against depth: a training step of DenseNet-BC (k = 12) at L = 100, 190, 250, batch 64, with the
# plain and the memory-efficient step; the latter also with glibc returning every freed block at once, so
# that its peak is the memory libtorch really held.
for depth in 100 190 250; do
  for step in plain me; do
    flags=(); [ "$step" = me ] && flags=(--memory-efficient)
    echo "densenet4j memory L=$depth $step" >&2
    ./densenet4j bench --model "densenet-bc-$depth-12" --input 3x32x32 --batch 64 --mode train "${flags[@]}" \
      --warmup 1 --iterations 1 --json > "$out/depth-$depth-$step.json"
  done
  echo "densenet4j memory L=$depth me, glibc returning memory" >&2
  DENSENET4J_ALLOCATOR=glibc MALLOC_MMAP_MAX_=65536 MALLOC_TRIM_THRESHOLD_=131072 MALLOC_TOP_PAD_=131072 \
    ./densenet4j bench --model "densenet-bc-$depth-12" --input 3x32x32 --batch 64 --mode train --memory-efficient \
    --warmup 1 --iterations 1 --json > "$out/depth-$depth-me-live.json"
done

env ${alloc_env[jemalloc]} java -Dai.djl.offline=true -cp "$ort_cp" org.densenet4j.peers.MatmulPeak \
  > "$out/sgemm.json" 2>/dev/null
/usr/bin/python3 scripts/write_benchmarks.py "$out" BENCHMARKS.md "scripts/benchmark.sh"
echo "wrote BENCHMARKS.md" >&2
