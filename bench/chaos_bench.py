"""Chaos and load: do cheap queries keep answering while other clients attack the endpoint?

It starts `plangraph serve --query-timeout 2` on a free loopback port (the shipped graph unless
--data says otherwise), measures cheap queries alone for a short baseline, then runs N clients
(64) for S seconds (60) that send a mix of

- cheap queries: a label lookup with LIMIT 10, an ASK, a COUNT over one predicate;
- slow queries: ORDER BY over the cross product of all labels (about 750,000 rows on the shipped
  graph, ~7 s of work in pyoxigraph alone), which the time limit has to stop;
- huge queries: an answer of 50,000 rows of a cross product (tens of MB of JSON), and a 1 MB
  query text (a VALUES block of 20,000 IRIs), each read to the end and thrown away.

While it runs it samples /proc every 0.2 s for the server's process tree: the main process, the
zygote (the child that has children) and each query worker. It prints the cheap-query p50/p99
(baseline and under attack), the answers and errors by kind (HTTP status codes, connection errors,
client timeouts), and the peak RSS of each process, and saves what it printed to
bench/results/chaos-<date>[-quick].txt. Loopback only; bounded in clients and time.

    .venv/bin/python bench/chaos_bench.py            # 64 clients, 60 s
    .venv/bin/python bench/chaos_bench.py --quick    # 64 clients, 10 s: a smoke test

Exit status: 0 measured (the figures say whether the goals were met), 2 bad arguments or the
server would not start.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import http.client
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
JSON = "application/sparql-results+json"

CHEAP = [
    f"SELECT ?s ?label WHERE {{ ?s {RDFS_LABEL} ?label }} LIMIT 10",
    "ASK { ?s ?p ?o }",
    f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {RDFS_LABEL} ?label }}",
]
SLOW = (
    f"SELECT ?a ?b WHERE {{ ?x {RDFS_LABEL} ?a . ?y {RDFS_LABEL} ?b }} ORDER BY DESC(?a) ?b LIMIT 5"
)
BIG_ANSWER = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 50000"


def big_query_text(size: int = 1_000_000) -> str:
    """A query of about `size` bytes that the parser must read whole: a VALUES block of IRIs."""
    iris, total, i = [], 0, 0
    while total < size:
        iri = f"<https://example.org/padding/{i:08d}/{'x' * 16}>"
        iris.append(iri)
        total += len(iri) + 1
        i += 1
    return "SELECT ?x WHERE { VALUES ?x { " + " ".join(iris) + " } } LIMIT 1"


@dataclass
class Tally:
    """What the clients saw, per kind of query; shared by all client threads under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    outcomes: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    body_bytes: collections.Counter[str] = field(default_factory=collections.Counter)

    def add(self, kind: str, outcome: str, seconds: float, size: int) -> None:
        with self.lock:
            self.outcomes[(kind, outcome)] += 1
            self.body_bytes[kind] += size
            if outcome == "200":
                self.latencies[kind].append(seconds)


class Client:
    """One keep-alive HTTP connection; a fresh one after any connection error."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[str, int]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            size = 0
            while chunk := response.read(1 << 16):
                size += len(chunk)
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return str(response.status), size
        except TimeoutError:
            self.close()
            return "client timeout", 0
        except (OSError, http.client.HTTPException) as err:
            self.close()
            return f"connection error ({type(err).__name__})", 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def send(client: Client, kind: str, big_text: bytes) -> tuple[str, int]:
    if kind == "cheap":
        query = random.choice(CHEAP)
        return client.request(
            "GET", "/sparql?" + urlencode({"query": query}), None, {"Accept": JSON}
        )
    if kind == "slow":
        return client.request(
            "GET", "/sparql?" + urlencode({"query": SLOW}), None, {"Accept": JSON}
        )
    if kind == "big answer":
        return client.request(
            "GET", "/sparql?" + urlencode({"query": BIG_ANSWER}), None, {"Accept": JSON}
        )
    return client.request(
        "POST",
        "/sparql",
        big_text,
        {"Content-Type": "application/sparql-query", "Accept": JSON},
    )


def run_clients(
    port: int, clients: int, seconds: float, mix: dict[str, float], timeout: float
) -> Tally:
    tally, stop = Tally(), time.monotonic() + seconds
    big_text = big_query_text().encode()
    kinds, weights = list(mix), list(mix.values())

    def loop(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(port, timeout)
        while time.monotonic() < stop:
            kind = rng.choices(kinds, weights)[0]
            started = time.perf_counter()
            outcome, size = send(client, kind, big_text)
            tally.add(kind, outcome, time.perf_counter() - started, size)
        client.close()

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + timeout + 30)
    return tally


# --- the server's processes ----------------------------------------------------------------


def children_of() -> dict[int, list[int]]:
    """Every process's children, from /proc (Linux)."""
    tree: dict[int, list[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree[ppid].append(int(entry))
    return tree


def rss_bytes(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def roles(main_pid: int) -> dict[int, str]:
    """main, zygote (a child of main with children of its own), workers (its children)."""
    tree = children_of()
    found = {main_pid: "main"}
    for child in tree.get(main_pid, []):
        if tree.get(child):
            found[child] = "zygote"
            for worker in tree[child]:
                found[worker] = "worker"
        else:
            found[child] = "helper"
    return found


class MemorySampler(threading.Thread):
    """Peak RSS per process of the server's tree, sampled every `interval` seconds."""

    def __init__(self, main_pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.main_pid, self.interval = main_pid, interval
        self.peak: dict[int, int] = {}
        self.role: dict[int, str] = {}
        self.peak_total = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            total = 0
            for pid, role in roles(self.main_pid).items():
                rss = rss_bytes(pid)
                total += rss
                self.role[pid] = role
                self.peak[pid] = max(self.peak.get(pid, 0), rss)
            self.peak_total = max(self.peak_total, total)
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(args: argparse.Namespace, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    argv = [sys.executable, "-m", "plangraph.cli", "serve", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--query-timeout", str(args.query_timeout)]
    if args.data:
        argv += ["--data", *args.data]
    argv += args.serve_arg
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"chaos_bench: the server did not start:\n{log.read_text()}")
            client = Client(port, 2)
            status, _ = client.request("GET", "/sparql?query=ASK%7B%7D", None, {"Accept": JSON})
            client.close()
            if status == "200":
                break
            time.sleep(0.1)
        yield process, port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- report --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def report(
    out: io.StringIO,
    baseline: Tally,
    attack: Tally,
    memory: MemorySampler,
    args: argparse.Namespace,
) -> None:
    def say(line: str = "") -> None:
        out.write(line + "\n")

    say(
        f"chaos_bench {args.started}  ({os.cpu_count()} cores; load average before "
        f"{args.load_before}, after {loadavg()})"
    )
    say(
        f"server: plangraph serve --query-timeout {args.query_timeout:g} "
        f"{' '.join(args.serve_arg)} on {'the shipped graph' if not args.data else args.data}"
    )
    say(
        f"attack: {args.clients} clients for {args.seconds:g} s, mix "
        + ", ".join(f"{k} {v:.0%}" for k, v in args.mix.items())
        + f"; client timeout {args.client_timeout:g} s"
    )
    say()
    say("cheap-query latency (ms)      n      p50      p99      max")
    for name, tally in (("baseline (4 clients, cheap)", baseline), ("under attack", attack)):
        lat = tally.latencies.get("cheap", [])
        say(
            f"  {name:<27}{len(lat):>5} {ms(percentile(lat, 0.5))} {ms(percentile(lat, 0.99))} "
            f"{ms(max(lat) if lat else float('nan'))}"
        )
    say()
    say("answers by kind under attack (status or error: count)")
    for kind in args.mix:
        seen = {o: n for (k, o), n in attack.outcomes.items() if k == kind}
        total = sum(seen.values())
        lat = attack.latencies.get(kind, [])
        median = f"median {ms(statistics.median(lat)).strip()} ms" if lat else "no 200"
        parts = ", ".join(f"{o}: {n}" for o, n in sorted(seen.items()))
        say(
            f"  {kind:<11} {total:>6} requests, {attack.body_bytes[kind] / 2**20:8.1f} MiB read, "
            f"{median}; {parts}"
        )
    errors = collections.Counter()
    for (_, outcome), n in attack.outcomes.items():
        if outcome != "200":
            errors[outcome] += n
    say("errors by kind: " + (", ".join(f"{o}: {n}" for o, n in errors.most_common()) or "none"))
    say()
    say("peak RSS per process (MiB, sampled every 0.2 s)")
    by_role: dict[str, list[tuple[int, int]]] = collections.defaultdict(list)
    for pid, peak in memory.peak.items():
        by_role[memory.role[pid]].append((pid, peak))
    for role in ("main", "zygote", "helper"):
        for pid, peak in sorted(by_role.get(role, [])):
            say(f"  {role:<7} pid {pid:>7}  {peak / 2**20:8.1f}")
    workers = sorted(by_role.get("worker", []), key=lambda p: -p[1])
    if workers:
        peaks = [p for _, p in workers]
        say(
            f"  workers: {len(workers)} processes seen (killed ones replaced); peak RSS max "
            f"{max(peaks) / 2**20:.1f}, median {statistics.median(peaks) / 2**20:.1f}"
        )
        for pid, peak in workers[:5]:
            say(f"  worker  pid {pid:>7}  {peak / 2**20:8.1f}")
        if len(workers) > 5:
            say(f"  ... and {len(workers) - 5} more workers, each at most {peaks[5] / 2**20:.1f}")
    say(f"  whole tree at its peak: {memory.peak_total / 2**20:.1f}")


def loadavg() -> str:
    """The 1-minute load average: the machine may be shared, and the figures depend on it."""
    with contextlib.suppress(OSError):
        return Path("/proc/loadavg").read_text().split()[0]
    return "?"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="10 s instead of 60: a smoke test")
    parser.add_argument("--query-timeout", type=float, default=2.0)
    parser.add_argument("--client-timeout", type=float, default=30.0)
    parser.add_argument("--data", nargs="+", help="RDF files or folders (default: shipped graph)")
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for plangraph serve (repeatable), e.g. --serve-arg=--workers=4",
    )
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 10.0
    if not 1 <= args.clients <= 256 or not 0 < args.seconds <= 600:
        parser.error("clients must be 1..256 and seconds 0..600 (the run is bounded)")
    args.mix = {"cheap": 0.70, "slow": 0.10, "big answer": 0.10, "1 MB query": 0.10}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.started = dt.datetime.now().isoformat(timespec="seconds")
    args.load_before = loadavg()
    RESULTS.mkdir(exist_ok=True)
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"chaos-bench-{os.getpid()}.log"
    with server(args, log) as (process, port):
        memory = MemorySampler(process.pid)
        memory.start()
        baseline = run_clients(
            port, 4, min(5.0, args.seconds / 2), {"cheap": 1.0}, args.client_timeout
        )
        attack = run_clients(port, args.clients, args.seconds, args.mix, args.client_timeout)
        memory.stop()
    out = io.StringIO()
    report(out, baseline, attack, memory, args)
    text = out.getvalue()
    print(text, end="")
    if not args.no_save:
        suffix = "-quick" if args.quick else ""
        path = RESULTS / f"chaos-{dt.date.today().isoformat()}{suffix}.txt"
        path.write_text(text)
        print(f"saved to {path.relative_to(REPO)}")
    log.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
