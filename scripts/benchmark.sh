#!/usr/bin/env bash
# The benchmark harness: measures densenet4j, PyTorch (Debian python3-torch, 2 threads) and ONNX Runtime
# (Java, on the same model exported from PyTorch) on the same machine in one run, plus the machine's
# FP32 matrix-multiply peak, and rewrites the harness section of BENCHMARKS.md.
#   scripts/benchmark.sh            # full run (about 15 minutes on 2 cores)
#   QUICK=1 scripts/benchmark.sh    # fewer iterations, for a smoke test
# Run it on a quiet machine: libtorch's OpenMP threads spin, two busy processes slow each other 7-10x.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/target/benchmark"
mkdir -p "$out"
# libtorch needs several passes before its timings settle (oneDNN primitives, allocator): warm up well.
warmup=6; iterations=9
if [ -n "${QUICK:-}" ]; then warmup=1; iterations=2; fi
threads=2

./densenet4j --version >/dev/null  # builds the command line if needed
(mvn -q -B -DskipTests -pl bench -am package >&2)
ort_cp="$root/bench/target/densenet4j-bench-0.1.0-SNAPSHOT.jar:$(cat "$root/bench/target/classpath.txt")"

run_workload() {  # model c h w batch
  local model=$1 c=$2 h=$3 w=$4 b=$5 tag="$1-$3-b$5"
  for mode in infer train; do
    echo "densenet4j $tag $mode" >&2
    ./densenet4j bench --model "$model" --input "${c}x${h}x${w}" --batch "$b" --mode "$mode" \
      --warmup $warmup --iterations $iterations --json > "$out/densenet4j-$tag-$mode.json"
    echo "pytorch $tag $mode" >&2
    local onnx=()
    [ "$mode" = infer ] && onnx=(--onnx "$out/$tag.onnx")
    /usr/bin/python3 scripts/bench_pytorch.py "$model" "$c" "$h" "$w" "$b" "$mode" --threads $threads \
      --warmup $warmup --iterations $iterations "${onnx[@]}" > "$out/pytorch-$tag-$mode.json" 2>"$out/pytorch-$tag-$mode.log"
  done
  echo "onnxruntime $tag infer" >&2
  java -cp "$ort_cp" org.densenet4j.bench.peers.OnnxRuntimeBench "$out/$tag.onnx" "$b" "$c" "$h" "$w" $threads \
    $warmup $iterations > "$out/onnxruntime-$tag-infer.json"
}

run_workload densenet121 3 224 224 8
run_workload densenet-bc-100-12 3 32 32 64
run_workload cifar-densenet121 3 32 32 64

# Memory against depth: a training step of DenseNet-BC (k = 12) at L = 100, 190, 250, batch 64.
for depth in 100 190 250; do
  echo "densenet4j memory L=$depth" >&2
  ./densenet4j bench --model "densenet-bc-$depth-12" --input 3x32x32 --batch 64 --mode train \
    --warmup 1 --iterations 1 --json > "$out/depth-$depth.json"
done

d4j_cp="$root/cli/target/densenet4j-cli-0.1.0-SNAPSHOT.jar:$root/core/target/densenet4j-core-0.1.0-SNAPSHOT.jar:$(cat "$root/cli/target/classpath.txt")"
java -Dai.djl.offline=true -cp "$d4j_cp" org.densenet4j.bench.MatmulPeak > "$out/sgemm.json" 2>/dev/null
/usr/bin/python3 scripts/write_benchmarks.py "$out" BENCHMARKS.md "scripts/benchmark.sh"
echo "wrote BENCHMARKS.md" >&2
