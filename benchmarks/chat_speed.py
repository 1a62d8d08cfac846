"""How fast one agent answers over the HTTP API, alone and with 20 clients at once.

Serves a fine-tuned banking77 agent with the app's own API routes (``http_api.py``) from
a server process of its own (as the app would), then has 1 client, and then 20 clients at once, ask it banking77 test
questions, each client one question after the other. It prints the latency's median
(p50) and 95th percentile (p95) per setting, and their ratio to one client; the 20
clients run twice, with concurrent questions batched (the app's way) and one by one.

    python benchmarks/chat_speed.py                  # fine-tunes a 3,000-row agent first
    python benchmarks/chat_speed.py --run runs/RUN   # an agent you have
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import banking_agent

TARGET_P95_MS = 250


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OneByOne:
    """A stand-in for the batcher: the model reads each question alone, as before."""

    def __init__(self, agent) -> None:
        self.agent = agent

    def ask(self, text: str):
        return self.agent.predict([text])[0]


def serve(runs_dir: Path, port: int, one_by_one: bool) -> None:
    """Serve the app's API routes on ``port`` until killed (the server process)."""
    import uvicorn
    from fastapi import FastAPI

    from playground.service import agents
    from playground.service.jobs import TrainingService
    from playground.ui.http_api import add_api_routes

    if one_by_one:
        agents._batcher = OneByOne
    app = FastAPI()
    add_api_routes(app, TrainingService(runs_dir, serve=False), api_key=None)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


def start_server(runs_dir: Path, one_by_one: bool) -> tuple[subprocess.Popen, int]:
    """A server process and its port, once it answers."""
    port = free_port()
    argv = [sys.executable, str(Path(__file__).resolve()), "--serve", str(runs_dir),
            "--port", str(port)] + (["--one-by-one"] if one_by_one else [])
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the API server did not start")


def client(port: int, path: str, texts: list[str], latencies: list[float]) -> None:
    """Ask ``texts`` one after the other on one connection, recording each latency."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for text in texts:
        start = time.perf_counter()
        connection.request("POST", path, json.dumps({"text": text}),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(body.decode())
        latencies.append(time.perf_counter() - start)
    connection.close()


def measure(port: int, path: str, texts: list[str], clients: int, each: int) -> dict[str, float]:
    """p50 and p95 latency (ms) of ``clients`` clients asking ``each`` questions at once."""
    import numpy as np

    latencies: list[float] = []
    threads = [threading.Thread(target=client, args=(
        port, path, texts[i * each:(i + 1) * each], latencies)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "answers_per_s": round(len(ms) / wall, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    banking_agent.add_arguments(parser)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10, help="per client")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-by-one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port, args.one_by_one)
        return 0
    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="chat_speed-") as tmp:
        run_dir = banking_agent.agent_run(args, Path(tmp))
        texts = pd.read_csv(args.data_dir / "test.csv")["text"].sample(
            frac=1.0, random_state=0).tolist()
        path = f"/agent-api/v1/agents/{run_dir.name}/ask"
        results = {}
        for one_by_one in (False, True):
            server, port = start_server(run_dir.parent, one_by_one)
            try:
                measure(port, path, texts, 1, 5)  # loads the agent, warms the model up
                if not one_by_one:
                    results["1 client"] = measure(port, path, texts, 1, args.questions * 2)
                name = f"{args.clients} clients" + (", one by one" if one_by_one else "")
                results[name] = measure(port, path, texts, args.clients, args.questions)
            finally:
                server.kill()
                server.wait()

    alone = results["1 client"]
    print(f"\n{'setting':<28} {'p50 ms':>8} {'p95 ms':>8} {'p95 vs 1':>8} {'answers/s':>9}")
    for name, r in results.items():
        print(f"{name:<28} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
              f"{r['p95_ms'] / alone['p95_ms']:>7.1f}x {r['answers_per_s']:>9.1f}")
    print(f"wanted: p95 under {TARGET_P95_MS} ms with {args.clients} clients")
    return 0


if __name__ == "__main__":
    sys.exit(main())
