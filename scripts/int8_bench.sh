#!/usr/bin/env bash
# int8 against PyTorch's int8, interleaved: ROUNDS rounds, each timing densenet4j `bench --precision int8` (its own
# int8 TorchScript through libtorch's fbgemm) and PyTorch 1.13's FX post-training static quantization
# (scripts/int8_peer.py: per-channel int8 weights, the onednn engine), one process at a time, jemalloc for all,
# 2 threads. Both calibrate on the same images: N Fashion-MNIST training images resized to HxW and repeated over
# C channels, normalised, written once as a .npy (speed does not depend on how many). Per round both throughputs
# and their ratio; then each one's median and range, and the median ratio and its range.
# With --onnx, a third column: ONNX Runtime (full optimisation, 2 threads) on densenet4j's int8 ONNX export (QDQ)
# of the same network, trained one step on 8 UCI digits (weights do not change the speed) and calibrated on them.
#   scripts/int8_bench.sh MODEL C H W BATCH [ROUNDS] [--json OUT.json] [--onnx]
#   scripts/int8_bench.sh densenet121 3 224 224 8 5
# WARMUP and ITERATIONS (default 20 and 9) set each measurement's passes; CALIBRATE_IMAGES (default 64) the images.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model=$1 c=$2 h=$3 w=$4 batch=$5; shift 5
rounds=5; json=""; onnx=""
while [ $# -gt 0 ]; do
  case $1 in
    --json) json=$2; shift 2 ;;
    --onnx) onnx=1; shift ;;
    *) rounds=$1; shift ;;
  esac
done
warmup=${WARMUP:-20} iterations=${ITERATIONS:-9} images=${CALIBRATE_IMAGES:-64}
. "$root/scripts/allocator.sh"
lscpu | grep 'Model name' | sed 's/  */ /g' >&2
grep -q -w -e avx512_vnni -e amx_int8 /proc/cpuinfo || { echo "no avx512_vnni or amx_int8 on this CPU" >&2; exit 2; }
"$root/densenet4j" --version >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
calibration="$work/calibration.npy"
/usr/bin/python3 "$root/scripts/int8_peer.py" "$model" "$c" "$h" "$w" "$batch" --calibrate-images "$images" \
  --write-calibration "$calibration"
field() { /usr/bin/python3 -c "import json,sys; print('%.1f' % json.load(sys.stdin)['$1'])"; }
if [ -n "$onnx" ]; then
  (cd "$root" && mvn -q -B -DskipTests -pl peers -am package >&2)
  ort_cp="$root/peers/target/densenet4j-peers-0.1.0-SNAPSHOT.jar:$(cat "$root/peers/target/classpath.txt")"
  /usr/bin/python3 "$root/scripts/digits_to_folder.py" "$work/digits" --size 32 >&2
  "$root/densenet4j" train --model "$model" --dataset "$work/digits" --channels "$c" --image-size "$h" --epochs 1 \
    --train-limit 8 --test-limit 8 --batch-size 8 --no-augment --run-dir "$work/run" --show 0 >&2
  "$root/densenet4j" export --checkpoint "$work/run/checkpoint.d4j" --format onnx --precision int8 \
    --calibrate "$work/digits/train" --calibrate-images "$images" --out "$work/int8.onnx" >&2
fi
mine_all=(); peer_all=(); ort_all=()
echo "round densenet4j-int8 pytorch-int8-onednn ratio${onnx:+ onnxruntime-int8-qdq ratio}" >&2
for r in $(seq 1 "$rounds"); do
  mine=$("$root/densenet4j" bench --model "$model" --input "${c}x${h}x${w}" --batch "$batch" --precision int8 \
    --calibrate "$calibration" --warmup "$warmup" --iterations "$iterations" --json | field images_per_second)
  # PyTorch 1.13 computes right with the machine's full ISA (see scripts/onednn.sh): no cap for it
  peer=$(env -u ONEDNN_MAX_CPU_ISA LD_PRELOAD="$JEMALLOC_LIB" MALLOC_CONF="$JEMALLOC_CONF" /usr/bin/python3 \
    "$root/scripts/int8_peer.py" "$model" "$c" "$h" "$w" "$batch" --engine onednn --calibration "$calibration" \
    --warmup "$warmup" --iterations "$iterations" --rounds 1 --skip-fp32 | field int8_images_per_second)
  mine_all+=("$mine"); peer_all+=("$peer")
  line="$r $mine $peer $(/usr/bin/python3 -c "print('%.2fx' % ($mine / $peer))")"
  if [ -n "$onnx" ]; then
    ort=$(env LD_PRELOAD="$JEMALLOC_LIB" MALLOC_CONF="$JEMALLOC_CONF" java -cp "$ort_cp" \
      org.densenet4j.peers.OnnxRuntimeBench "$work/int8.onnx" "$batch" "$c" "$h" "$w" 2 "$warmup" "$iterations" |
      field images_per_second)
    ort_all+=("$ort")
    line="$line $ort $(/usr/bin/python3 -c "print('%.2fx' % ($ort / $peer))")"
  fi
  echo "$line" >&2
done
/usr/bin/python3 - "$model" "$c" "$h" "$w" "$batch" "$images" "${json:-}" "${mine_all[*]}" "${peer_all[*]}" \
  "${ort_all[*]}" <<'PY'
import json, statistics, sys
model, c, h, w, batch, images, out = sys.argv[1:8]
mine = [float(v) for v in sys.argv[8].split()]
peer = [float(v) for v in sys.argv[9].split()]
ort = [float(v) for v in sys.argv[10].split()]
ratios = [m / p for m, p in zip(mine, peer)]
summary = {"model": model, "input": [int(c), int(h), int(w)], "batch": int(batch), "calibration_images": int(images),
           "rounds": len(ratios), "densenet4j_int8_images_per_second": mine, "pytorch_int8_images_per_second": peer,
           "ratios": [round(r, 3) for r in ratios],
           "densenet4j_median": statistics.median(mine), "pytorch_median": statistics.median(peer),
           "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)}
print("densenet4j %.1f img/s (%.1f-%.1f), PyTorch %.1f img/s (%.1f-%.1f), median ratio %.2fx, rounds %.2fx-%.2fx" % (
    summary["densenet4j_median"], min(mine), max(mine), summary["pytorch_median"], min(peer), max(peer),
    summary["ratio_median"], min(ratios), max(ratios)))
if ort:
    ort_ratios = [o / p for o, p in zip(ort, peer)]
    summary.update({"onnxruntime_int8_images_per_second": ort, "onnxruntime_median": statistics.median(ort),
                    "onnxruntime_ratio_median": statistics.median(ort_ratios)})
    print("ONNX Runtime on densenet4j's int8 ONNX %.1f img/s (%.1f-%.1f), median ratio to PyTorch %.2fx (%.2fx-%.2fx)" % (
        statistics.median(ort), min(ort), max(ort), statistics.median(ort_ratios), min(ort_ratios), max(ort_ratios)))
if out:
    with open(out, "w") as f:
        json.dump(summary, f, indent=2)
PY
