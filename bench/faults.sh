#!/usr/bin/env bash
# Fault-mix benchmark: `gepa run` and Python gepa 0.1.4 against the simulated world
# (../shared/tools/sim_world_server.py) behind the shared fault-injecting proxy
# (../shared/tools/fault_proxy.py, seed 1): 20% 429 + 10% 500 + 10% dropped connections + 10%
# malformed 200 bodies + 10% replies marked cut off. Reports faults injected, retries, pauses
# (manual resumes needed), exit status, rollouts and wall time. Not a test: BENCHMARKS.md keeps
# the numbers. The shared tools are used by path, never copied.
# Usage: bench/faults.sh [BUDGET] [CONCURRENCY] [LATENCY_S]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${GEPA_SHARED_TOOLS:-$ROOT/../shared/tools}
BUDGET=${1:-200}
CONC=${2:-4}
LATENCY=${3:-0.05}
MIX="429:0.2,500:0.1,drop:0.1,garbage:0.1,length:0.1"
WORLD_PORT=47960
PROXY_PORT=47961
cd "$ROOT"
[ -f "$SHARED/fault_proxy.py" ] || { echo "missing $SHARED/fault_proxy.py (set GEPA_SHARED_TOOLS)" >&2; exit 1; }
cargo build --release -q -p gepa-cli --bin gepa --example sim_world_config
GEPA="$ROOT/target/release/gepa"
WORK=$(mktemp -d)
. "$ROOT/bench/python_gepa_venv.sh"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
start_world() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; PIDS=()
  sleep 0.3
  python3 "$SHARED/sim_world_server.py" "$WORLD_PORT" "$LATENCY" & PIDS+=($!)
  python3 "$SHARED/fault_proxy.py" "$PROXY_PORT" "http://127.0.0.1:$WORLD_PORT" "$MIX" 1 & PIDS+=($!)
  sleep 0.7
}
faults() { curl -s "http://127.0.0.1:$PROXY_PORT/faults"; }
"$ROOT/target/release/examples/sim_world_config" "$WORK/world.json" "$BUDGET" "$CONC"
printf '| optimiser | faults injected (429/500/drop/garbage/cut off) | retries | pauses (manual resumes) | exit | rollouts | best val | wall s |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'

start_world
start=$(date +%s.%N)
set +e
"$GEPA" run "$WORK/world.json" --out "$WORK/world.run.json" --task-url "http://127.0.0.1:$PROXY_PORT/v1" --quiet >"$WORK/ours.out" 2>"$WORK/ours.err"
code=$?
set -e
end=$(date +%s.%N)
python3 - "$start" "$end" "$code" "$(faults)" "$WORK/world.run.json" <<'PY'
import json, sys
start, end, code, faults, run = sys.argv[1:]
f = json.loads(faults); r = json.load(open(run))
pauses = sum(1 for e in r["events"] if e.get("event") == "paused")
engine = r["state"]["engine"] if "state" in r else None
used = sum(e.get("delta", 0) for e in r["events"] if e.get("event") == "budget_updated")
best = max((e["mean"] for e in r["events"] if e.get("event") == "candidate_added"), default=float("nan"))
injected = "/".join(str(f.get(k, 0)) for k in ["429", "500", "drop", "garbage", "length"])
retries = sum(f.get(k, 0) for k in ["429", "500", "drop", "garbage"])
print(f"| ours (gepa run) | {injected} | {retries} | {pauses} | {code} | {used} | {best:.2f} | {float(end) - float(start):.1f} |")
PY

start_world
start=$(date +%s.%N)
set +e
"$VENV/bin/python" bench/python_gepa.py "http://127.0.0.1:$PROXY_PORT/v1" "$CONC" "$BUDGET" "$WORK/world.json" >"$WORK/py.out" 2>"$WORK/py.err"
code=$?
set -e
end=$(date +%s.%N)
python3 - "$start" "$end" "$code" "$(faults)" "$WORK/py.out" "$WORK/py.err" <<'PY'
import json, sys
start, end, code, faults, out, err = sys.argv[1:]
f = json.loads(faults)
text = open(out).read().strip()
r = json.loads(text) if text else {}
last = [l for l in open(err).read().strip().splitlines() if l.strip()]
why = last[-1][:90] if last and code != "0" else ""
injected = "/".join(str(f.get(k, 0)) for k in ["429", "500", "drop", "garbage", "length"])
print(f"| python gepa 0.1.4 | {injected} | 0 | aborted: {why} | {code} | {r.get('metric_calls', '–')} | {r.get('best_val', '–')} | {float(end) - float(start):.1f} |")
PY
