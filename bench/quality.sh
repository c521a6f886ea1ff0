#!/usr/bin/env bash
# Optimisation quality: ours (rewrite and edit-mode reflection) vs Python gepa 0.1.4's `optimize`
# with its default adapter, on three example tasks (support-triage; date-normalization;
# warehouse-bins, whose codes can only be learned from feedback) × three seeds, the same real
# local model on llama-server as task and reflection model, the same split (8 held-out rows, the
# rest halved into train and validation), the same rollout budget, skip-perfect on for both, and
# the same metric and feedback text: gepa's evaluator is our metric (bench/python_gepa.py with
# SCORE_STREAM). Every best prompt (and the seed) is scored by `gepa eval` on the held-out rows
# and on all rows of the task. For ours, the run file also gives the proposals screened, retried
# and salvaged, and how many iterations that asked for a reflection produced an evaluated
# proposal (bench/run_stats.py).
# The task model answers at temperature 0 with 24 tokens at most; the reflection model samples
# at the server's default with the server's own reply limit, for both optimisers.
# Everything runs side by side, sharing the server's four slots, so wall times are under shared
# load (bench/orchestration.sh is the speed comparison).
# Not a test: it prints tables; BENCHMARKS.md records the numbers.
# Usage: bench/quality.sh [BUDGET]
#   GEPA_LLM=qwen0.5b    the stronger opt-in model (see ./dev)
#   QUALITY_TASKS="support-triage date-normalization warehouse-bins"  QUALITY_SEEDS="0 1 2"
#   QUALITY_WHO="ours ours-edit gepa"  QUALITY_OUT=DIR (run files and best prompts stay there)
#   QUALITY_IN_FLIGHT=N  ours with N iterations in flight (default: chosen from the concurrency, 4 → 2)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUDGET=${1:-150}
TASKS=${QUALITY_TASKS:-support-triage date-normalization warehouse-bins}
SEEDS=${QUALITY_SEEDS:-0 1 2}
WHO=${QUALITY_WHO:-ours ours-edit gepa}
export BENCH_SKIP_PERFECT=1 SKIP_PERFECT=1
cd "$ROOT"
cargo build --release -q -p gepa-cli --bin gepa --example bench_config --example score_stream
GEPA="$ROOT/target/release/gepa"
CONFIG_TOOL="$ROOT/target/release/examples/bench_config"
export SCORE_STREAM="$ROOT/target/release/examples/score_stream"
. "$ROOT/bench/python_gepa_venv.sh"
URL=$(./dev llm start | tail -1)
WORK=${QUALITY_OUT:-$ROOT/target/bench/quality}
mkdir -p "$WORK/rows"
# score CONFIG [PROMPT_FILE [DATA]]: on the held-out test set, or on DATA.
score() { "$GEPA" eval --config "$1" --task-url "$URL" --timeout 1800 ${2:+--prompt "$2"} ${3:+--data "$3"} | sed -E 's/^Score ([0-9.]+).*/\1/'; }
seconds_since() { python3 -c "import sys; print(f'{$(date +%s.%N) - float(sys.argv[1]):.0f}')" "$1"; }

# row TASK SEED WHO BEST_FILE EXTRA_JSON: scores the best prompt and writes the row as JSON.
row() {
  local task=$1 seed=$2 who=$3 best=$4 extra=$5 cfg="$WORK/$1-$2.json"
  python3 - "$task" "$seed" "$who" "$(cat "$WORK/$task-$seed.seedtest")" "$(score "$cfg" "$best")" \
    "$(score "$cfg" "$best" "$WORK/$task-all.csv")" "$(wc -c < "$best")" "$extra" > "$WORK/rows/$task-$seed-$who.json" <<'PY'
import json, sys
task, seed, who, seed_test, test, all_rows, chars, extra = sys.argv[1:]
row = {"task": task, "seed": int(seed), "who": who, "seed_test": float(seed_test), "test": float(test), "all_rows": float(all_rows), "chars": int(chars)}
row.update(json.loads(extra))
print(json.dumps(row))
PY
}

run_ours() { # TASK SEED [edit]
  local task=$1 seed=$2 mode=${3:-} cfg="$WORK/$1-$2${3:+-$3}.json" who="ours${3:+-$3}" start out
  start=$(date +%s.%N)
  out="$WORK/$task-$seed-$who"
  "$GEPA" run "$cfg" --out "$out.run.json" --task-url "$URL" --timeout 1800 ${QUALITY_IN_FLIGHT:+--in-flight "$QUALITY_IN_FLIGHT"} --quiet > "$out.txt"
  local wall; wall=$(seconds_since "$start")
  awk '/^--- system ---$/{on=1; next} /^Share link:/{on=0} on' "$out.txt" | python3 -c 'import sys; sys.stdout.write(sys.stdin.read().rstrip("\n"))' > "$out-best.txt"
  local best_val; best_val=$(sed -nE 's/^Best candidate: #[0-9]+, validation ([0-9.]+).*/\1/p' "$out.txt")
  local stats; stats=$(python3 bench/run_stats.py "$out.run.json")
  row "$task" "$seed" "$who" "$out-best.txt" "$(python3 -c "import json,sys; s=json.loads(sys.argv[1]); s.update(best_val=float(sys.argv[2]), wall=int(sys.argv[3])); print(json.dumps(s))" "$stats" "$best_val" "$wall")"
}
run_ours-edit() { run_ours "$1" "$2" edit; }
run_gepa() { # TASK SEED
  local task=$1 seed=$2 cfg="$WORK/$1-$2.json" out
  out=$("$VENV/bin/python" bench/python_gepa.py "$URL" 4 "$BUDGET" "$cfg" "$seed" 24 0 "$WORK/$task-$seed-gepa-best.txt")
  row "$task" "$seed" gepa "$WORK/$task-$seed-gepa-best.txt" "$(python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(json.dumps({'best_val': r['best_val'], 'rollouts': r['metric_calls'], 'candidates': r['candidates'], 'wall': round(r['wall_s'])}))" "$out")"
}

for task in $TASKS; do
  python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['data'], end='')" "static/examples/$task.json" > "$WORK/$task-all.csv"
  for seed in $SEEDS; do
    rm -f "$WORK/rows/$task-$seed-"*.json
    BENCH_TASK=$task "$CONFIG_TOOL" "$WORK/$task-$seed.json" "$BUDGET" 4 1 "$seed" 24 0
    BENCH_TASK=$task BENCH_REFLECTION_MODE=edit "$CONFIG_TOOL" "$WORK/$task-$seed-edit.json" "$BUDGET" 4 1 "$seed" 24 0
    score "$WORK/$task-$seed.json" > "$WORK/$task-$seed.seedtest"
  done
done
pids=()
for task in $TASKS; do
  for seed in $SEEDS; do
    for who in $WHO; do
      "run_$who" "$task" "$seed" & pids+=("$!")
    done
  done
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
python3 bench/quality_table.py "$WORK/rows" "$BUDGET"
exit "$failed"
