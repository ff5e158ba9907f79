#!/usr/bin/env bash
# Bounded load test of `densenet4j serve` on loopback with wrk: single requests (--max-batch 1) against
# batched ones (--max-batch 32), same image, same connections. Prints wrk's figures for each.
#   scripts/load_test.sh [SECONDS] [CONNECTIONS]
# Needs Debian's wrk (apt-get install wrk).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-20}"; connections="${2:-16}"
image="$root/models/fashion-mnist/samples/test-0.png"
lua="$(mktemp --suffix .lua)"
cat > "$lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "image/png"
local f = io.open("$image", "rb"); wrk.body = f:read("*a"); f:close()
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d rps=%.1f p50_ms=%.1f p99_ms=%.1f\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
"$root/densenet4j" --version >/dev/null
for batch in 1 32; do
  port=$((18080 + batch))
  "$root/densenet4j" serve --port $port --max-batch $batch > /tmp/densenet4j-serve-$batch.log 2>&1 &
  pid=$!
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
  # Warm-up, then the measured run. wrk gets one thread: the server needs the cores.
  wrk -t1 -c"$connections" -d5s -s "$lua" "http://127.0.0.1:$port/predict" >/dev/null
  echo "max-batch $batch: $(wrk -t1 -c"$connections" -d"${seconds}s" --timeout 30s -s "$lua" \
    "http://127.0.0.1:$port/predict" | grep RESULT)"
  kill $pid; wait $pid 2>/dev/null || true
done
rm -f "$lua"
