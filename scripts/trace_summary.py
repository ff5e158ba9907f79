#!/usr/bin/python3
"""Sums a libtorch profiler trace (`densenet4j bench --profile FILE`) per operator: self time (the operator's time
less the operators it called), calls, and share of the traced iteration. TorchScript methods (forward, dense_layer,
...) and autograd wrappers appear as operators too; their self time is what they spent outside other operators.
    scripts/trace_summary.py TRACE.json [ROWS]
"""
import collections
import json
import sys


def main(path, rows):
    with open(path) as f:
        data = json.load(f)
    events = [e for e in (data["traceEvents"] if isinstance(data, dict) else data) if e.get("ph") == "X"]
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[(e.get("pid"), e.get("tid"))].append(e)
    self_time = collections.Counter()
    calls = collections.Counter()
    total = 0
    for thread in by_thread.values():
        thread.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in thread:
            while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]:
                stack.pop()
            if stack:
                self_time[stack[-1]["name"]] -= e["dur"]  # the parent did not spend this time itself
            else:
                total += e["dur"]
            self_time[e["name"]] += e["dur"]
            calls[e["name"]] += 1
            stack.append(e)
    print(f"{'self ms':>9} {'share':>6} {'calls':>6}  operator   (traced: {total / 1000:.1f} ms)")
    for name, us in self_time.most_common(rows):
        print(f"{us / 1000:9.1f} {100 * us / total:5.1f}% {calls[name]:6d}  {name}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20)
