#!/usr/bin/env bash
# bf16 inference against its peers in one run, one process at a time: densenet121 224x224 batch 8 through densenet4j
# in float32 (folded network) and in bfloat16 (`bench --precision bf16`: a folded bfloat16 TorchScript export run by
# libtorch through DJL), PyTorch 1.13 in float32 channels-last and under bf16 autocast (channels-last), and ONNX
# Runtime in float32 (full optimisation) on densenet4j's ONNX export. 2 threads, median of 10 after 3 warm-ups,
# jemalloc for all. Needs Debian's python3-torch and python3-torchvision.
#   scripts/bf16_bench.sh [OUTDIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
. "$root/scripts/allocator.sh"
mvn -q -B -DskipTests -pl bench -am install >/dev/null
ort_cp="$root/bench/target/densenet4j-bench-0.1.0-SNAPSHOT.jar:$(cat "$root/bench/target/classpath.txt")"
lscpu | grep 'Model name' | sed 's/  */ /g'
grep -o -w 'avx512_bf16\|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
/usr/bin/python3 -c "import torch, torchvision; torch.manual_seed(0); torch.save(torchvision.models.densenet121().state_dict(), '$out/densenet121.pth')"
"$root/densenet4j" export --model densenet121 --weights "$out/densenet121.pth" --format onnx --out "$out/densenet121.onnx" >/dev/null
rate() { /usr/bin/python3 -c "import json,sys; print('%.1f' % json.load(sys.stdin)['images_per_second'])"; }
for p in fp32 bf16; do
  echo "densenet4j $p: $("$root/densenet4j" bench --model densenet121 --batch 8 --precision $p --warmup 3 --iterations 10 --json | rate) img/s"
done
echo "ONNX Runtime fp32: $(env LD_PRELOAD="$JEMALLOC_LIB" MALLOC_CONF="$JEMALLOC_CONF" java -cp "$ort_cp" \
  org.densenet4j.bench.peers.OnnxRuntimeBench "$out/densenet121.onnx" 8 3 224 224 2 3 10 | rate) img/s"
env LD_PRELOAD="$JEMALLOC_LIB" MALLOC_CONF="$JEMALLOC_CONF" /usr/bin/python3 - <<'PY'
import time, torch, torchvision
torch.set_num_threads(2)
m = torchvision.models.densenet121().eval().to(memory_format=torch.channels_last)
x = torch.randn(8, 3, 224, 224).to(memory_format=torch.channels_last)
def rate(f):
    t = []
    with torch.no_grad():
        for i in range(13):
            s = time.perf_counter(); f(); e = time.perf_counter() - s
            if i >= 3:
                t.append(e)
    t.sort()
    return 8 / t[len(t) // 2]
def autocast():
    with torch.autocast("cpu", dtype=torch.bfloat16):
        return m(x)
print("PyTorch fp32 channels_last: %.1f img/s" % rate(lambda: m(x)))
print("PyTorch bf16 autocast: %.1f img/s" % rate(autocast))
PY
