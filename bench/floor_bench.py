"""Benchmark: the floor under a light query — what an HTTP round trip costs before any SPARQL.

Issue 16 asks plangraph to answer light queries within 1.5x of Oxigraph's server. This script
shows how much of that budget the HTTP layer alone takes: in one run, with the same client (one
keep-alive connection per server, `POST application/sparql-query` of `ASK {}`), servers taking
turns in a rotating order, it times

- Oxigraph's server in memory (`oxigraph serve`, Rust: HTTP, query and serialisation);
- a WSGI app that does nothing (reads the body, returns a fixed ASK answer) under waitress with
  plangraph's settings, and under Flask on waitress (a route that does the same);
- the same no-op app under Granian (Rust HTTP, WSGI in Python threads) when it is installed:
  the fastest WSGI server we know of;
- plangraph serve on the shipped graph, default settings (access log to standard error, here
  /dev/null; the quick-query path answers ASK {} in the server's own thread);
- pyoxigraph in this process (`ASK {}` and its serialisation, no HTTP).

It prints the median of each run, the median of the runs and the ratio to Oxigraph; saved to
bench/results/floor-<date>.txt.

    .venv/bin/python bench/floor_bench.py                  # 3 runs of 1,500 rounds, ~1 minute
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

import pyoxigraph as ox  # noqa: E402

from bench import engines  # noqa: E402

ASK = b"ASK {}"
ANSWER = b'{"head":{},"boolean":true}'
HEADERS = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}


def noop(environ: dict, start_response: Callable) -> list[bytes]:
    """The cheapest WSGI app that still behaves: reads the request body, answers ASK."""
    environ["wsgi.input"].read()
    start_response(
        "200 OK",
        [("Content-Type", "application/sparql-results+json"), ("Content-Length", str(len(ANSWER)))],
    )
    return [ANSWER]


def flask_noop() -> object:
    from flask import Flask, Response, request

    app = Flask("noop")

    @app.post("/sparql")
    def sparql() -> Response:
        request.get_data()
        return Response(ANSWER, content_type="application/sparql-results+json")

    return app


WAITRESS = """
import sys; sys.path.insert(0, {repo!r})
from waitress import serve
from bench import floor_bench
app = floor_bench.{app}
serve(app, host="127.0.0.1", port={port}, threads=8, channel_request_lookahead=1,
      asyncore_use_poll=True, _quiet=True)
"""


def _wait(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited ({process.returncode})")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("POST", "/sparql", body=ASK, headers=HEADERS)
            if connection.getresponse().status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not answer")


@contextlib.contextmanager
def started(argv: list[str], port: int) -> Iterator[int]:
    process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(port, process)
        yield port
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        if process.poll() is None:
            process.kill()


def servers(stack: contextlib.ExitStack, workdir: Path) -> dict[str, tuple[int, str]]:
    """name -> (port, path), every server started and answering."""
    found: dict[str, tuple[int, str]] = {}
    oxigraph = engines.start_oxigraph(workdir / "oxigraph")
    stack.callback(engines.stop, oxigraph)
    found["oxigraph"] = (int(oxigraph.query_url.split(":")[2].split("/")[0]), "/query")
    for name, app in (("waitress no-op", "noop"), ("Flask no-op", "flask_noop()")):
        port = engines.free_port()
        code = WAITRESS.format(repo=str(REPO), app=app, port=port)
        found[name] = (stack.enter_context(started([sys.executable, "-c", code], port)), "/sparql")
    try:
        import granian  # noqa: F401
    except ImportError:
        pass
    else:
        port = engines.free_port()
        argv = [sys.executable, "-m", "granian", "--interface", "wsgi", "--workers", "1"]
        argv += ["--blocking-threads", "8", "--port", str(port), "--no-ws"]
        argv += ["--log-level", "error", "bench.floor_bench:noop"]
        found["Granian no-op"] = (stack.enter_context(started(argv, port)), "/sparql")
    port = engines.free_port()
    argv = [sys.executable, "-m", "plangraph.cli", "serve", "--port", str(port)]
    found["plangraph"] = (stack.enter_context(started(argv, port)), "/sparql")
    return found


def one_run(targets: dict[str, tuple[int, str]], rounds: int) -> dict[str, float]:
    """Median ms per server; servers take turns, the order rotating every round."""
    connections = {
        name: (http.client.HTTPConnection("127.0.0.1", port), path)
        for name, (port, path) in targets.items()
    }
    store = ox.Store()
    times: dict[str, list[float]] = {name: [] for name in [*connections, "in-proc"]}
    names = list(times)
    for turn in range(rounds + 50):  # the first 50 rounds warm up
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            started_at = time.perf_counter()
            if name == "in-proc":
                store.query("ASK {}").serialize(format=ox.QueryResultsFormat.JSON)
            else:
                connection, path = connections[name]
                connection.request("POST", path, body=ASK, headers=HEADERS)
                response = connection.getresponse()
                response.read()
                assert response.status == 200, (name, response.status)
            if turn >= 50:
                times[name].append((time.perf_counter() - started_at) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1500)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    now = dt.datetime.now(dt.UTC)
    say(f"floor_bench {now:%Y-%m-%d %H:%M} UTC (bench/floor_bench.py)")
    say(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        f", load average {os.getloadavg()[0]:.2f} at start"
    )
    say(
        f"method : {args.runs} runs of {args.rounds} rounds; each round every server answers "
        "POST ASK {} once on its own keep-alive connection (http.client), order rotating"
    )
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        targets = servers(stack, Path(tmp))
        runs = [one_run(targets, args.rounds) for _ in range(args.runs)]
    names = list(runs[0])
    oxigraph = statistics.median(run["oxigraph"] for run in runs)
    say("")
    say(f"{'server':<16} {'median ms':>10} {'runs (ms)':>28} {'x oxigraph':>11}")
    for name in names:
        values = [run[name] for run in runs]
        middle = statistics.median(values)
        spread = " ".join(f"{v:.3f}" for v in values)
        say(f"{name:<16} {middle:>10.3f} {spread:>28} {middle / oxigraph:>11.2f}")
    say("")
    say(
        f"1.5x Oxigraph = {1.5 * oxigraph:.3f} ms: the whole budget of a light query under "
        "issue 16's goal, HTTP server included"
    )
    say(f"load average {os.getloadavg()[0]:.2f} at the end")
    if not args.no_save:
        out = BENCH / "results" / f"floor-{now:%Y-%m-%d}.txt"
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"saved {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
