"""A latency-injecting OpenAI-compatible server for orchestration benchmarks (not an LLM).

Every call sleeps a fixed latency, then answers from a script: task calls get a label (right
for half the tickets, so reflection always has work), reflection calls get a new, unique
instruction in a fenced block. Both optimisers see the same work per call.

Usage: python3 latency_server.py PORT LATENCY_MS
"""
import itertools
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LATENCY = float(sys.argv[2]) / 1000.0
counter = itertools.count()
lock = threading.Lock()
stats = {"calls": 0, "in_flight": 0, "peak": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every call.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = json.dumps(stats).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        if self.path == "/reset":
            with lock:
                stats.update(calls=0, peak=0)
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        request = json.loads(raw or b"{}")
        with lock:
            stats["calls"] += 1
            stats["in_flight"] += 1
            stats["peak"] = max(stats["peak"], stats["in_flight"])
        time.sleep(LATENCY)
        text = " ".join(m.get("content", "") if isinstance(m.get("content"), str) else "" for m in request.get("messages", []))
        if "Ticket:" in text.split("\n")[-1] or text.strip().startswith("Classify") and "Ticket:" in text:
            content = "billing" if (hash(text) % 2 == 0) else "bug"
        else:
            content = "```\nClassify the support ticket into billing, login, bug or feature (rule %d).\n```" % next(counter)
        body = json.dumps({
            "id": "bench", "object": "chat.completion", "model": request.get("model", "bench"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55},
        }).encode()
        with lock:
            stats["in_flight"] -= 1
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer.daemon_threads = True
# A listen backlog for hundreds of clients connecting at once (http.server's default is 5).
ThreadingHTTPServer.request_queue_size = 1024
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
