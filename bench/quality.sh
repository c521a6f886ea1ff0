#!/usr/bin/env bash
# Optimisation quality: ours vs Python gepa 0.1.4's `optimize` with its default adapter, on the
# support-triage example (14 train / 14 validation / 8 held-out test), the same real local model
# on llama-server as task and reflection model, the same rollout budget, seeds 0, 1 and 2.
# Both best prompts (and the seed) are scored on the held-out test set by `gepa eval`, with the
# example's metric, so the test column is comparable; "best val" is each optimiser's own
# validation score (ours: the example's metric; gepa's default adapter: "contains the answer").
# Not a test: it prints a table; BENCHMARKS.md records the numbers.
# Usage: bench/quality.sh [BUDGET]      (GEPA_LLM=qwen0.5b for the stronger opt-in model)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUDGET=${1:-100}
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
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
score() { "$GEPA" eval --config "$1" --task-url "$URL" ${2:+--prompt "$2"} | sed -E 's/^Score ([0-9.]+).*/\1/'; }
printf '| seed | optimiser | seed test | best val (own metric) | best test | best prompt chars | rollouts | wall s |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
for seed in 0 1 2; do
  cfg="$WORK/q$seed.json"
  "$CONFIG_TOOL" "$cfg" "$BUDGET" 4 1 "$seed" 24 300
  seed_test=$(score "$cfg")
  start=$(date +%s.%N)
  "$GEPA" run "$cfg" --out "$WORK/q$seed.run.json" --task-url "$URL" --quiet > "$WORK/ours.txt"
  wall=$(python3 -c "print(f'{$(date +%s.%N) - $start:.0f}')")
  best_val=$(sed -nE 's/^Best candidate: #[0-9]+, validation ([0-9.]+).*/\1/p' "$WORK/ours.txt")
  rollouts=$(sed -nE 's/.*\), ([0-9]+) rollouts.*/\1/p' "$WORK/ours.txt")
  awk '/^--- system ---$/{on=1; next} /^Share link:/{on=0} on' "$WORK/ours.txt" > "$WORK/ours-best.txt"
  printf '| %s | ours | %s | %s | %s | %s | %s | %s |\n' "$seed" "$seed_test" "$best_val" "$(score "$cfg" "$WORK/ours-best.txt")" "$(wc -c < "$WORK/ours-best.txt")" "$rollouts" "$wall"
  out=$("$VENV/bin/python" bench/python_gepa.py "$URL" 4 "$BUDGET" "$cfg" "$seed" 24 300 "$WORK/gepa-best.txt")
  read -r gval gcalls gwall < <(python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(r['best_val'], r['metric_calls'], round(r['wall_s']))" "$out")
  printf '| %s | python gepa 0.1.4 | %s | %s | %s | %s | %s | %s |\n' "$seed" "$seed_test" "$gval" "$(score "$cfg" "$WORK/gepa-best.txt")" "$(wc -c < "$WORK/gepa-best.txt")" "$gcalls" "$gwall"
done
