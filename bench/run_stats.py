"""Reads one of our run files and prints, as JSON, what the quality benchmark reports of it:
rollouts, candidates, proposals screened / retried / salvaged, iterations that asked for a
reflection and how many of those produced a proposal that was evaluated.
Usage: run_stats.py RUN_FILE"""
import json
import sys

run = json.load(open(sys.argv[1]))
events = run["events"]
kind = lambda e: e.get("event")
asked = {e["iteration"] for e in events if kind(e) == "reflection_requested"}
evaluated = {
    e["iteration"] for e in events
    if kind(e) == "evaluated" and e["target"].get("kind") == "proposal" and e["iteration"] in asked
}
print(json.dumps({
    "rollouts": sum(e["delta"] for e in events if kind(e) == "budget_updated"),
    "candidates": sum(1 for e in events if kind(e) == "candidate_added"),
    "accepted": sum(1 for e in events if kind(e) == "proposal_accepted"),
    "screened": sum(1 for e in events if kind(e) == "proposal_rejected" and e["rejection"].get("stage") == "screened"),
    "retried": sum(1 for e in events if kind(e) == "reflection_retried"),
    "salvaged": sum(1 for e in events if kind(e) == "reflection_received" and e.get("salvaged")),
    "not_validated": sum(1 for e in events if kind(e) == "validation_skipped"),
    "reflection_iterations": len(asked),
    "evaluated_iterations": len(evaluated),
}))
