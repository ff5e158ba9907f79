#!/usr/bin/env bash
# Answers per second of `densenet4j serve` (default options, bundled model) as concurrent clients grow past what
# the model computes at once: wrk on loopback, every request POSTing the same 28x28 PNG as the raw body, each client
# sending its next request as soon as it has an answer (503s included: clients that retry at once).
#   scripts/overload_test.sh [SECONDS] [CLIENTS...]      (default: 15 s each at 8 24 64 256 clients)
# Prints one line per concurrency, then the server's peak resident memory. Needs Debian's wrk (apt-get install wrk).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-15}"; shift || true
clients=("$@"); [ ${#clients[@]} -gt 0 ] || clients=(8 24 64 256)
image="$root/models/fashion-mnist/samples/test-0.png"
port=18090
lua="$(mktemp --suffix .lua)"
cat > "$lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "image/png"
local f = io.open("$image", "rb"); wrk.body = f:read("*a"); f:close()
busy = 0  -- global: each thread keeps its own, done() reads them with thread:get
local threads = {}
setup = function(thread) table.insert(threads, thread) end
response = function(status, headers, body) if status == 503 then busy = busy + 1 end end
done = function(summary, latency, requests)
  local refused = 0
  for _, t in ipairs(threads) do refused = refused + t:get("busy") end
  local answered = summary.requests - summary.errors.status
  io.write(string.format("RESULT answers_per_s=%.1f p50_ms=%.1f p99_ms=%.1f answered=%d status_503=%d "
      .. "other_errors=%d\n", answered / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, answered, refused, summary.errors.status - refused + summary.errors.connect
      + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
"$root/densenet4j" --version >/dev/null
"$root/densenet4j" serve --port $port > /tmp/densenet4j-overload.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$lua"' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
java_pid="$(pgrep -P $pid java || echo $pid)"
# Warm-up, then the measured runs. wrk gets one thread: the server needs the cores.
wrk -t1 -c24 -d5s -s "$lua" "http://127.0.0.1:$port/predict" >/dev/null
for c in "${clients[@]}"; do
  echo "clients $c: $(wrk -t1 -c"$c" -d"${seconds}s" --timeout 30s -s "$lua" "http://127.0.0.1:$port/predict" \
    | grep RESULT)"
done
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2 / 1024}' /proc/"$java_pid"/status)"
