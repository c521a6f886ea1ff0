"""Drives Python gepa 0.1.4's `optimize` with its default adapter against the latency server, for
the orchestration benchmark (bench/orchestration.sh installs gepa into its own venv; its code
never enters this repository).

The default adapter sends a batch through `LM.batch_complete(messages, max_workers=N)`, which
calls `litellm.batch_completion`. To drive the same scripted server without installing litellm,
this replaces only that transport with the same shape: a thread pool of `max_workers` posting
each chat to the server. Everything else (selection, sampling, reflection, acceptance, the
ledger) is gepa's own code. The data split comes from one of our run configurations
(`bench_config`), so both optimisers see the same train / validation examples. Prints one JSON
line: wall seconds, metric calls, candidates and the best validation score (gepa's own metric,
the default adapter's "contains the answer"); with OUT_PROMPT, writes the best prompt there.
As in our `bench_config`, the task model answers at temperature 0 and the reflection model
samples at the server's default.

With STOP_AT_SCORE set, the run also stops once the best validation score reaches it (gepa's
own ScoreThresholdStopper, checked between iterations).

With SCORE_STREAM set (the path of our `score_stream` example binary), the default adapter's
evaluator is replaced by our metric: gepa sees exactly the score and feedback text our engine
would (the quality benchmark's "same metric and feedback text for both").

With OUT_RESULT set, writes gepa's own `GEPAResult.to_dict()` there as JSON (the page's
fixtures for opening a Python gepa result are made so: tests/fixtures/make_gepa_results.sh);
USE_MERGE=1 turns gepa's merge on; TRACK_OUTPUTS=0 turns off its best outputs per validation example.

Usage: python_gepa.py BASE_URL CONCURRENCY BUDGET CONFIG_JSON [SEED TASK_MAX REFLECTION_MAX OUT_PROMPT]
(a reply limit of 0 means none: the server's own)
"""
import os
import subprocess
import threading
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import gepa
from gepa.adapters.default_adapter.default_adapter import DefaultAdapter

base, concurrency, budget, config_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
seed, task_max, reflection_max, out_prompt = (sys.argv[5:9] + [None] * 4)[:4]


def chat(messages, max_tokens=None, temperature=None):
    payload = {"model": "bench", "messages": messages}
    if max_tokens and int(max_tokens) > 0:
        payload["max_tokens"] = int(max_tokens)
    if temperature is not None:
        payload["temperature"] = temperature
    body = json.dumps(payload).encode()
    request = urllib.request.Request(base + "/chat/completions", data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)["choices"][0]["message"]["content"]


class PoolLM:
    """The shape of gepa.lm.LM.batch_complete, over plain HTTP."""

    def batch_complete(self, messages_list, max_workers=10, **_):
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            return list(pool.map(lambda m: chat(m, task_max, 0.0), messages_list))


config = json.load(open(config_path))
template = config["setup"]["program"]["steps"][0]["user"]


def example(e):
    text = template
    for name, value in e["inputs"].items():
        text = text.replace("{{" + name + "}}", value)
    return {"input": text, "answer": e["expected"], "additional_context": {}, "inputs": e["inputs"]}


trainset = [example(e) for e in config["setup"]["data"]["train"]]
valset = [example(e) for e in config["setup"]["data"]["val"]]
seed_prompt = config["setup"]["seed"]["system"]

class OurMetric:
    """Our metric and feedback, through the `score_stream` binary (one process, one line each)."""

    def __init__(self, binary):
        self.process = subprocess.Popen([binary, config_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lock = threading.Lock()

    def __call__(self, data, response):
        from gepa.adapters.default_adapter.default_adapter import EvaluationResult
        line = json.dumps({"inputs": data.get("inputs", {}), "expected": data["answer"], "output": response})
        with self.lock:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
            answer = json.loads(self.process.stdout.readline())
        return EvaluationResult(score=answer["score"], feedback=answer["feedback"], objective_scores=None)


stream = os.environ.get("SCORE_STREAM")
stop_at = os.environ.get("STOP_AT_SCORE")
stoppers = None
if stop_at:
    from gepa.utils.stop_condition import ScoreThresholdStopper
    stoppers = [ScoreThresholdStopper(float(stop_at))]
adapter = DefaultAdapter(model="openai/bench", max_litellm_workers=concurrency, evaluator=OurMetric(stream) if stream else None)
adapter._lm = PoolLM()
start = time.monotonic()
result = gepa.optimize(
    seed_candidate={"system": seed_prompt},
    trainset=trainset,
    valset=valset,
    adapter=adapter,
    reflection_lm=lambda prompt: chat([{"role": "user", "content": prompt}], reflection_max),
    max_metric_calls=budget,
    skip_perfect_score=os.environ.get("SKIP_PERFECT") == "1",
    seed=int(seed or 0),
    stop_callbacks=stoppers,
    use_merge=os.environ.get("USE_MERGE") == "1",
    track_best_outputs=os.environ.get("TRACK_OUTPUTS") != "0",
    display_progress_bar=False,
    logger=type("Quiet", (), {"log": lambda self, *a, **k: None})(),
)
wall = time.monotonic() - start
best = result.best_idx
if os.environ.get("OUT_RESULT"):
    with open(os.environ["OUT_RESULT"], "w") as f:
        json.dump(result.to_dict(), f, indent=1, default=str)
        f.write("\n")
if out_prompt:
    open(out_prompt, "w").write(result.candidates[best]["system"])
print(json.dumps({
    "wall_s": round(wall, 2), "metric_calls": result.total_metric_calls, "candidates": len(result.candidates),
    "best_val": round(result.val_aggregate_scores[best], 4), "seed_val": round(result.val_aggregate_scores[0], 4),
}))
