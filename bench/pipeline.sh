#!/usr/bin/env bash
# Pipelined iterations: time to reach validation 1.0 in the simulated world
# (../shared/tools/sim_world_server.py: every call takes LATENCY_S; a reflection adds one rule;
# example i needs i mod 5 rules; 20 train / 20 validation, minibatch 3, exact match, seed prompt
# "Answer the question.", user message `{{input}}`), budget BUDGET, stopping at validation 1.0.
# Ours with one iteration at a time (`--in-flight 1`, the reference's loop), ours with the
# default (iterations in flight chosen from the concurrency), and Python gepa 0.1.4 (its
# optimize, default adapter and ScoreThresholdStopper; skip-perfect on, as by default in both),
# side by side at concurrency 1, 4 and 16, each over SEEDS seeds; the table gives the median
# (and range) of wall seconds, calls and rollouts. Not a test: BENCHMARKS.md keeps the numbers.
# The shared server is used by path, never copied.
# Usage: bench/pipeline.sh [BUDGET] [LATENCY_S] [SEEDS] [CONCURRENCIES]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${GEPA_SHARED_TOOLS:-$ROOT/../shared/tools}
BUDGET=${1:-200}
LATENCY=${2:-0.3}
SEEDS=${3:-3}
CONCURRENCIES=${4:-"1 4 16"}
PORT=47970
cd "$ROOT"
[ -f "$SHARED/sim_world_server.py" ] || { echo "missing $SHARED/sim_world_server.py (set GEPA_SHARED_TOOLS)" >&2; exit 1; }
cargo build --release -q -p gepa-cli --bin gepa --example sim_world_config
GEPA="$ROOT/target/release/gepa"
WORK=$(mktemp -d)
. "$ROOT/bench/python_gepa_venv.sh"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
fresh_world() {
  [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  python3 "$SHARED/sim_world_server.py" "$PORT" "$LATENCY" & SERVER=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && return; sleep 0.1; done
  echo "the simulated world did not start" >&2; exit 1
}
ROWS="$WORK/rows.jsonl"
: >"$ROWS"
for c in $CONCURRENCIES; do
  for seed in $(seq 0 $((SEEDS - 1))); do
    "$ROOT/target/release/examples/sim_world_config" "$WORK/world.json" "$BUDGET" "$c" "$seed" 1.0
    for who in "ours-1" "ours-auto" "gepa"; do
      fresh_world
      start=$(date +%s.%N)
      case $who in
        ours-1) "$GEPA" run "$WORK/world.json" --out "$WORK/run.json" --in-flight 1 --task-url "http://127.0.0.1:$PORT/v1" --quiet >/dev/null ;;
        ours-auto) "$GEPA" run "$WORK/world.json" --out "$WORK/run.json" --task-url "http://127.0.0.1:$PORT/v1" --quiet >/dev/null ;;
        gepa) STOP_AT_SCORE=1.0 SKIP_PERFECT=1 "$VENV/bin/python" bench/python_gepa.py "http://127.0.0.1:$PORT/v1" "$c" "$BUDGET" "$WORK/world.json" "$seed" >"$WORK/py.json" ;;
      esac
      end=$(date +%s.%N)
      curl -s "http://127.0.0.1:$PORT/" >"$WORK/stats.json"
      python3 - "$who" "$c" "$seed" "$start" "$end" "$WORK" >>"$ROWS" <<'PY'
import json, sys
who, c, seed, start, end, work = sys.argv[1:]
stats = json.load(open(f"{work}/stats.json"))
row = {"who": who, "c": int(c), "seed": int(seed), "wall": float(end) - float(start),
       "calls": stats["task"] + stats["reflect"], "peak": stats["in_flight_max"]}
if who == "gepa":
    r = json.load(open(f"{work}/py.json"))
    # gepa's own timer (from optimize() to its return) leaves out Python's start-up and imports.
    row.update(best=r["best_val"], rollouts=r["metric_calls"], wall=r["wall_s"], process=row["wall"])
else:
    run = json.load(open(f"{work}/run.json"))
    ev = run["events"]
    row["best"] = max(e["mean"] for e in ev if e.get("event") == "candidate_added")
    row["rollouts"] = sum(e.get("delta", 0) for e in ev if e.get("event") == "budget_updated")
    engine = run["engine"].get("engine", run["engine"])
    depth = engine["setup"]["config"].get("pipeline_depth")
    row["depth"] = depth
print(json.dumps(row))
PY
      tail -n1 "$ROWS" >&2
    done
  done
done
python3 - "$ROWS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
names = {"ours-1": "ours, 1 in flight (reference loop)", "ours-auto": "ours, default", "gepa": "python gepa 0.1.4"}
print("| concurrency | optimiser | iterations in flight | reached 1.0 | wall s, median (range) | calls | rollouts | peak calls in flight | gepa ÷ this |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
# gepa's wall is its own timer around optimize(); its whole process took longer (start-up,
# imports), reported below the table. Ours is the whole `gepa run` process.
for c in sorted({r["c"] for r in rows}):
    group = {w: [r for r in rows if r["c"] == c and r["who"] == w] for w in names}
    med = {w: statistics.median(r["wall"] for r in rs) for w, rs in group.items() if rs}
    for who, rs in group.items():
        if not rs:
            continue
        walls = [r["wall"] for r in rs]
        reached = sum(1 for r in rs if r["best"] >= 1.0)
        depth = rs[0].get("depth") or "1"
        ratio = f"{med['gepa'] / med[who]:.2f}×" if "gepa" in med else "–"
        print(f"| {c} | {names[who]} | {depth} | {reached}/{len(rs)} | {med[who]:.1f} ({min(walls):.1f}–{max(walls):.1f}) | "
              f"{statistics.median(r['calls'] for r in rs):.0f} | {statistics.median(r['rollouts'] for r in rs):.0f} | "
              f"{max(r['peak'] for r in rs)} | {ratio} |")
for c in sorted({r["c"] for r in rows}):
    procs = [r["process"] for r in rows if r["c"] == c and r["who"] == "gepa"]
    if procs:
        print(f"\nconcurrency {c}: python gepa's whole process, median {statistics.median(procs):.1f} s")
PY
