#!/usr/bin/env bash
# Orchestration benchmark: wall time for `gepa run` to spend a 200-rollout budget against a
# latency-injecting scripted server (bench/latency_server.py), at concurrency 1, 4 and 16, with
# one or four parallel proposals, compared with the lower bound the latency allows, and Python
# gepa 0.1.4 (installed from PyPI into its own venv under the cache dir) driving the same server
# at the same concurrency (bench/python_gepa.py).
# Not a test: it prints a table; BENCHMARKS.md records the numbers.
# Usage: bench/orchestration.sh [LATENCY_MS] [BUDGET]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LATENCY=${1:-50}
BUDGET=${2:-200}
PORT=47950
cd "$ROOT"
cargo build --release -q -p gepa-cli --bin gepa --example bench_config
GEPA="$ROOT/target/release/gepa"
CONFIG_TOOL="$ROOT/target/release/examples/bench_config"
WORK=$(mktemp -d)
. "$ROOT/bench/python_gepa_venv.sh"
python3 bench/latency_server.py "$PORT" "$LATENCY" & SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 0.5
printf '| optimiser | concurrency | proposals/iter | wall s | calls | peak in flight | rollouts | bound s | wall / bound |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for proposals in 1 4; do
  for c in 1 4 16; do
    "$CONFIG_TOOL" "$WORK/c.json" "$BUDGET" "$c" "$proposals"
    curl -s -X POST "http://127.0.0.1:$PORT/reset" >/dev/null
    start=$(date +%s.%N)
    "$GEPA" run "$WORK/c.json" --out "$WORK/c.run.json" --task-url "http://127.0.0.1:$PORT/v1" --quiet >/dev/null
    end=$(date +%s.%N)
    read -r calls peak < <(curl -s "http://127.0.0.1:$PORT/" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["calls"], s["peak"])')
    rollouts=$("$GEPA" show "$WORK/c.run.json" | sed -n '1p' | sed -E 's/.*, ([0-9]+) rollouts.*/\1/')
    # Lower bound: every call at full concurrency, each lasting the latency.
    python3 - "$start" "$end" "$calls" "$peak" "$rollouts" "$c" "$LATENCY" "$proposals" <<'PY'
import sys, math
start, end, calls, peak, rollouts, c, latency, proposals = sys.argv[1:]
wall = float(end) - float(start)
bound = math.ceil(int(calls) / int(c)) * int(latency) / 1000
print(f"| ours | {c} | {proposals} | {wall:.2f} | {calls} | {peak} | {rollouts} | {bound:.2f} | {wall / bound:.2f} |")
PY
  done
done
for c in 1 4 16; do
  curl -s -X POST "http://127.0.0.1:$PORT/reset" >/dev/null
  "$CONFIG_TOOL" "$WORK/c.json" "$BUDGET" "$c" 1
  out=$("$VENV/bin/python" bench/python_gepa.py "http://127.0.0.1:$PORT/v1" "$c" "$BUDGET" "$WORK/c.json")
  read -r calls peak < <(curl -s "http://127.0.0.1:$PORT/" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["calls"], s["peak"])')
  python3 - "$out" "$calls" "$peak" "$c" "$LATENCY" <<'PY'
import json, math, sys
out, calls, peak, c, latency = sys.argv[1:]
r = json.loads(out)
bound = math.ceil(int(calls) / int(c)) * int(latency) / 1000
print(f"| python gepa 0.1.4 | {c} | 1 | {r['wall_s']:.2f} | {calls} | {peak} | {r['metric_calls']} | {bound:.2f} | {r['wall_s'] / bound:.2f} |")
PY
done
