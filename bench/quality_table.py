"""Prints the quality benchmark's tables from its rows (one JSON file per task, seed and optimiser),
so runs made in separate invocations can be read together.
Usage: python3 bench/quality_table.py ROWS_DIR [ROWS_DIR ...] BUDGET"""
import glob, json, sys
from collections import defaultdict
rows = [json.load(open(p)) for d in sys.argv[1:-1] for p in sorted(glob.glob(d + "/*.json"))]
budget = int(sys.argv[-1])
print("| task | seed | optimiser | seed test | best val | best test | best, all rows | rollouts | screened / retried / salvaged | reflection iterations with an evaluated proposal | chars | wall s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in sorted(rows, key=lambda r: (r["task"], r["seed"], r["who"])):
    ours = "screened" in r
    sr = f"{r['screened']} / {r['retried']} / {r['salvaged']}" if ours else "–"
    it = f"{r['evaluated_iterations']} of {r['reflection_iterations']}" if ours else "–"
    print(f"| {r['task']} | {r['seed']} | {r['who']} | {r['seed_test']:.3f} | {r['best_val']:.3f} | {r['test']:.3f} | {r['all_rows']:.3f} | {r['rollouts']} | {sr} | {it} | {r['chars']} | {r['wall']} |")
print()
print("| task | optimiser | mean seed test | mean best test | mean best, all rows | mean rollouts | evaluated / reflection iterations | over budget |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
groups = defaultdict(list)
for r in rows:
    groups[(r["task"], r["who"])].append(r)
overall = defaultdict(list)
mean = lambda xs: sum(xs) / len(xs)
for (task, who), rs in sorted(groups.items()):
    overall[who].append(mean([r["test"] for r in rs]))
    ours = "screened" in rs[0]
    it = f"{sum(r['evaluated_iterations'] for r in rs)} / {sum(r['reflection_iterations'] for r in rs)}" if ours else "–"
    over = sum(1 for r in rs if r["rollouts"] > budget)
    print(f"| {task} | {who} | {mean([r['seed_test'] for r in rs]):.3f} | {mean([r['test'] for r in rs]):.3f} | {mean([r['all_rows'] for r in rs]):.3f} | {mean([r['rollouts'] for r in rs]):.0f} | {it} | {over} of {len(rs)} |")
print()
for who, xs in sorted(overall.items()):
    print(f"mean held-out score over tasks, {who}: {mean(xs):.3f}")
