#!/usr/bin/env bash
# High concurrency: wall time and peak calls in flight for `gepa run`, straight from a CSV (the
# CLI's own init flags), against the latency server (bench/latency_server.py: keep-alive, a fixed
# latency per call, a listen backlog of 1024), at concurrency 16, 64 and 256, next to Python gepa
# 0.1.4 driving the same server at the same concurrency with the same split (bench/python_gepa.py
# reads the configuration `gepa init` wrote). 600 generated tickets: 100 to train on, 500 to
# validate on, so every validation pass can fill 256 slots. "Bound" is every call at full
# concurrency (ceil(calls ÷ concurrency) × latency). Ours runs at the default iterations in
# flight and, with IN_FLIGHT set (e.g. 8), once more at that depth. The server's labels are a
# hash of the prompt, fixed across runs (PYTHONHASHSEED=0). Not a test: BENCHMARKS.md keeps the
# numbers.
# Usage: bench/concurrency.sh [LATENCY_MS] [BUDGET] [CONCURRENCIES]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LATENCY=${1:-300}
BUDGET=${2:-3000}
CONCURRENCIES=${3:-"16 64 256"}
PORT=47990
cd "$ROOT"
cargo build --release -q -p gepa-cli --bin gepa
GEPA="$ROOT/target/release/gepa"
WORK=$(mktemp -d)
. "$ROOT/bench/python_gepa_venv.sh"
PYTHONHASHSEED=0 python3 bench/latency_server.py "$PORT" "$LATENCY" & SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.1; done
python3 - "$WORK/tickets.csv" <<'PY'
import sys
labels = ["billing", "login", "bug", "feature"]
with open(sys.argv[1], "w") as f:
    f.write("ticket,label\n")
    for i in range(600):
        f.write(f"customer {i} writes about a {labels[i % 4]} matter,{labels[i % 4]}\n")
PY
server_stats() {
  curl -s "http://127.0.0.1:$PORT/" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["calls"], s["peak"])'
}
row() { # optimiser concurrency wall calls peak rollouts
  python3 - "$@" "$LATENCY" <<'PY'
import math, sys
who, c, wall, calls, peak, rollouts, latency = sys.argv[1:]
bound = math.ceil(int(calls) / int(c)) * int(latency) / 1000
print(f"| {who} | {c} | {float(wall):.1f} | {calls} | {peak} | {rollouts} | {bound:.1f} | {float(wall) / bound:.2f} |")
PY
}
printf '| optimiser | concurrency | wall s | calls | peak in flight | rollouts | bound s | wall / bound |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
for c in $CONCURRENCIES; do
  "$GEPA" init "$WORK/tickets.csv" --out "$WORK/c$c.json" --task-model bench \
    --prompt "Classify the support ticket into billing, login, bug or feature." \
    --template "Ticket: {{ticket}}" --metric choice --labels billing,login,bug,feature \
    --train 100 --val 500 --test 0 --budget "$BUDGET" --concurrency "$c" >/dev/null
  for depth in default ${IN_FLIGHT:-}; do
    flag=(); label=ours
    if [ "$depth" != default ]; then flag=(--in-flight "$depth"); label="ours, $depth in flight"; fi
    curl -s -X POST "http://127.0.0.1:$PORT/reset" >/dev/null
    start=$(date +%s.%N)
    "$GEPA" run "$WORK/c$c.json" --out "$WORK/c$c.run.json" --task-url "http://127.0.0.1:$PORT/v1" \
      "${flag[@]}" --json --quiet > "$WORK/summary.json" 2>/dev/null
    end=$(date +%s.%N)
    read -r calls peak < <(server_stats)
    rollouts=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rollouts"])' "$WORK/summary.json")
    row "$label" "$c" "$(echo "$end - $start" | bc)" "$calls" "$peak" "$rollouts"
  done
  curl -s -X POST "http://127.0.0.1:$PORT/reset" >/dev/null
  out=$("$VENV/bin/python" bench/python_gepa.py "http://127.0.0.1:$PORT/v1" "$c" "$BUDGET" "$WORK/c$c.json")
  read -r calls peak < <(server_stats)
  wall=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["wall_s"])' "$out")
  rollouts=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["metric_calls"])' "$out")
  row "python gepa 0.1.4" "$c" "$wall" "$calls" "$peak" "$rollouts"
done
