"""How fast one agent answers over the HTTP API, alone and with 20 clients at once.

Serves a fine-tuned banking77 agent with the app's own API routes (``http_api.py``) on a
local port, then has 1 client, and then 20 clients at once, ask it banking77 test
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


def serve(runs_dir: Path, port: int):
    """The app's API routes on a uvicorn server in a thread; returns the server."""
    import uvicorn
    from fastapi import FastAPI

    from playground.service.jobs import TrainingService
    from playground.ui.http_api import add_api_routes

    app = FastAPI()
    add_api_routes(app, TrainingService(runs_dir, serve=False), api_key=None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


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


def one_by_one(agent):
    """A stand-in for the batcher that asks the model for each question alone."""
    class Alone:
        def ask(self, text: str):
            return agent.predict([text])[0]
    return Alone()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    banking_agent.add_arguments(parser)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10, help="per client")
    args = parser.parse_args(argv)
    import pandas as pd

    from playground.service import agents

    with tempfile.TemporaryDirectory(prefix="chat_speed-") as tmp:
        run_dir = banking_agent.agent_run(args, Path(tmp))
        texts = pd.read_csv(args.data_dir / "test.csv")["text"].sample(
            frac=1.0, random_state=0).tolist()
        port = free_port()
        server = serve(run_dir.parent, port)
        path = f"/agent-api/v1/agents/{run_dir.name}/ask"
        measure(port, path, texts, 1, 5)  # loads the agent, warms the model up
        results = {"1 client": measure(port, path, texts, 1, args.questions * 2),
                   f"{args.clients} clients": measure(port, path, texts, args.clients,
                                                      args.questions)}
        batcher = agents._batcher
        agents._batcher = one_by_one
        try:
            results[f"{args.clients} clients, one by one"] = measure(
                port, path, texts, args.clients, args.questions)
        finally:
            agents._batcher = batcher
        server.should_exit = True

    alone = results["1 client"]
    print(f"\n{'setting':<28} {'p50 ms':>8} {'p95 ms':>8} {'p95 vs 1':>8} {'answers/s':>9}")
    for name, r in results.items():
        print(f"{name:<28} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
              f"{r['p95_ms'] / alone['p95_ms']:>7.1f}x {r['answers_per_s']:>9.1f}")
    print(f"wanted: p95 under {TARGET_P95_MS} ms with {args.clients} clients")
    return 0


if __name__ == "__main__":
    sys.exit(main())
