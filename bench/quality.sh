#!/usr/bin/env bash
# Optimisation quality: ours vs Python gepa 0.1.4's `optimize` with its default adapter, on the
# support-triage example (14 train / 14 validation / 8 held-out test), the same real local model
# on llama-server as task and reflection model, the same rollout budget, seeds 0, 1 and 2.
# Both best prompts (and the seed) are scored by `gepa eval` with the example's metric on the
# held-out test set and on all 36 rows of the example (steadier than 8 test rows), so those
# columns are comparable; "best val" is each optimiser's own validation score (ours: the
# example's metric; gepa's default adapter: "contains the answer").
# Both optimisers and all seeds run side by side, sharing the server's four slots, so the
# wall-time column is under shared load: bench/orchestration.sh is the speed comparison. The task
# model answers at temperature 0 (nearly reproducible: llama-server's batched slots are not
# bit-stable), the reflection model samples at the server's default; replies are capped at 24
# tokens (task) and 300 (reflection) for both.
# Not a test: it prints a table; BENCHMARKS.md records the numbers.
# Usage: bench/quality.sh [BUDGET]
#   GEPA_LLM=qwen0.5b    the stronger opt-in model (see ./dev)
#   QUALITY_SEEDS="0 1 2" which seeds; QUALITY_OUT=DIR where run files and best prompts stay
#   QUALITY_WHO="ours gepa" which optimisers; QUALITY_BUDGET_MODE=reference lets ours overshoot
#   the budget on its last iteration as gepa does (default: strict, never over the budget)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUDGET=${1:-100}
SEEDS=${QUALITY_SEEDS:-0 1 2}
WHO=${QUALITY_WHO:-ours gepa}
MODE=${QUALITY_BUDGET_MODE:-strict}
cd "$ROOT"
cargo build --release -q -p gepa-cli --bin gepa --example bench_config
GEPA="$ROOT/target/release/gepa"
CONFIG_TOOL="$ROOT/target/release/examples/bench_config"
VENV=${GEPA_CACHE:-$HOME/.cache/gepa-playground}/bench-python-gepa
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import gepa' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q gepa==0.1.4
fi
URL=$(./dev llm start | tail -1)
WORK=${QUALITY_OUT:-$ROOT/target/bench/quality}
mkdir -p "$WORK"
# score CONFIG [PROMPT_FILE [DATA]]: on the held-out test set, or on DATA.
score() { "$GEPA" eval --config "$1" --task-url "$URL" --timeout 900 ${2:+--prompt "$2"} ${3:+--data "$3"} | sed -E 's/^Score ([0-9.]+).*/\1/'; }
# Every row of the example (train, validation and test): steadier than 8 test rows, and both
# optimisers trained on the same rows.
python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['data'], end='')" static/examples/support-triage.json > "$WORK/all.csv"
seconds_since() { python3 -c "import sys; print(f'{$(date +%s.%N) - float(sys.argv[1]):.0f}')" "$1"; }

# One optimiser on one seed: writes its table row to $WORK/row$seed-$1.md.
run_ours() {
  local seed=$1 cfg="$WORK/q$1.json" start wall best_val rollouts best
  start=$(date +%s.%N)
  "$GEPA" run "$cfg" --out "$WORK/q$seed.run.json" --task-url "$URL" --timeout 900 --quiet > "$WORK/ours$seed.txt"
  wall=$(seconds_since "$start")
  best_val=$(sed -nE 's/^Best candidate: #[0-9]+, validation ([0-9.]+).*/\1/p' "$WORK/ours$seed.txt")
  rollouts=$(sed -nE 's/.*\), ([0-9]+) rollouts.*/\1/p' "$WORK/ours$seed.txt")
  best=$(awk '/^--- system ---$/{on=1; next} /^Share link:/{on=0} on' "$WORK/ours$seed.txt")
  printf '%s' "$best" > "$WORK/ours$seed-best.txt"   # without the trailing newline, as gepa's
  printf '| %s | ours (%s budget) | %s | %s | %s | %s | %s | %s | %s |\n' "$seed" "$MODE" "$(cat "$WORK/seed$seed.test")" "$best_val" \
    "$(score "$cfg" "$WORK/ours$seed-best.txt")" "$(score "$cfg" "$WORK/ours$seed-best.txt" "$WORK/all.csv")" "$(wc -c < "$WORK/ours$seed-best.txt")" "$rollouts" "$wall" > "$WORK/row$seed-ours.md"
}
run_gepa() {
  local seed=$1 cfg="$WORK/q$1.json" out gval gcalls gwall
  out=$("$VENV/bin/python" bench/python_gepa.py "$URL" 4 "$BUDGET" "$cfg" "$seed" 24 300 "$WORK/gepa$seed-best.txt")
  read -r gval gcalls gwall < <(python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(r['best_val'], r['metric_calls'], round(r['wall_s']))" "$out")
  printf '| %s | python gepa 0.1.4 | %s | %s | %s | %s | %s | %s | %s |\n' "$seed" "$(cat "$WORK/seed$seed.test")" "$gval" \
    "$(score "$cfg" "$WORK/gepa$seed-best.txt")" "$(score "$cfg" "$WORK/gepa$seed-best.txt" "$WORK/all.csv")" "$(wc -c < "$WORK/gepa$seed-best.txt")" "$gcalls" "$gwall" > "$WORK/row$seed-gepa.md"
}

for seed in $SEEDS; do
  rm -f "$WORK/row$seed-"*.md
  "$CONFIG_TOOL" "$WORK/q$seed.json" "$BUDGET" 4 1 "$seed" 24 300 "$MODE"
  score "$WORK/q$seed.json" > "$WORK/seed$seed.test"
done
pids=()
for seed in $SEEDS; do
  for who in $WHO; do
    "run_$who" "$seed" & pids+=("$!")
  done
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
printf '| seed | optimiser | seed test | best val (own metric) | best test | best, all rows | best prompt chars | rollouts | wall s (shared) |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for seed in $SEEDS; do
  for who in $WHO; do cat "$WORK/row$seed-$who.md" 2>/dev/null || echo "| $seed | $who: failed | | | | | | | |"; done
done
exit "$failed"
