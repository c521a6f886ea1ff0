"""Drives Python gepa 0.1.4's `optimize` with its default adapter against the latency server, for
the orchestration benchmark (bench/orchestration.sh installs gepa into its own venv; its code
never enters this repository).

The default adapter sends a batch through `LM.batch_complete(messages, max_workers=N)`, which
calls `litellm.batch_completion`. To drive the same scripted server without installing litellm,
this replaces only that transport with the same shape: a thread pool of `max_workers` posting
each chat to the server. Everything else (selection, sampling, reflection, acceptance, the
ledger) is gepa's own code. Prints one JSON line: wall seconds and metric calls.

Usage: python_gepa.py BASE_URL CONCURRENCY BUDGET EXAMPLES_JSON
"""
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import gepa
from gepa.adapters.default_adapter.default_adapter import DefaultAdapter

base, concurrency, budget, examples_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def chat(messages):
    body = json.dumps({"model": "bench", "messages": messages}).encode()
    request = urllib.request.Request(base + "/chat/completions", data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)["choices"][0]["message"]["content"]


class PoolLM:
    """The shape of gepa.lm.LM.batch_complete, over plain HTTP."""

    def batch_complete(self, messages_list, max_workers=10, **_):
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            return list(pool.map(chat, messages_list))


task = json.load(open(examples_path))
rows = [line.rsplit(",", 1) for line in task["data"].splitlines()[1:] if line.strip()]
data = [{"input": "Ticket: " + ticket.strip('"'), "answer": label, "additional_context": {}} for ticket, label in rows]
trainset, valset = data[:14], data[14:28]

adapter = DefaultAdapter(model="openai/bench", max_litellm_workers=concurrency)
adapter._lm = PoolLM()
start = time.monotonic()
result = gepa.optimize(
    seed_candidate={"system": task["system"]},
    trainset=trainset,
    valset=valset,
    adapter=adapter,
    reflection_lm=lambda prompt: chat([{"role": "user", "content": prompt}]),
    max_metric_calls=budget,
    skip_perfect_score=False,
    seed=0,
    display_progress_bar=False,
    logger=type("Quiet", (), {"log": lambda self, *a, **k: None})(),
)
wall = time.monotonic() - start
print(json.dumps({"wall_s": round(wall, 2), "metric_calls": result.total_metric_calls, "candidates": len(result.candidates)}))
