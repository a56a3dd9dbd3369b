"""Benchmark: our SPARQL endpoint against Oxigraph's own server and rdflib-endpoint, one run.

It writes a synthetic corpus (bench/synthetic.py, about 380,000 triples for 300 editions) into
bench/out/, starts the three servers on free loopback ports over exactly the same quads, checks
that they return the same number of rows for every query of bench/queries/, then measures the
median latency of each query per server (and of pyoxigraph in this process, the floor any
endpoint on it can reach) and the throughput of 8 concurrent clients. It prints one table and
saves what it printed to bench/results/sparql-<date>.txt.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/sparql_bench.py            # about 10 minutes on 2 cores

Exit status: 0 measured (goals met or not: the table says), 1 the servers disagree on a row
count or a request failed, 2 bad arguments or a server would not start.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import io
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO))

import synthetic  # noqa: E402

QUERIES = BENCH / "queries"
OUT = BENCH / "out"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent
SLOW_MS = 5.0  # the goals apply to queries that take Oxigraph's server at least this long
ACCEPT = {
    "select": "application/sparql-results+json",
    "ask": "application/sparql-results+json",
    "construct": "application/n-triples",
}


class BenchError(Exception):
    """Something that makes the comparison meaningless: a failed request, a server that died."""


# --- the query mix -------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    name: str
    summary: str
    text: str

    @property
    def form(self) -> str:
        body = "\n".join(
            line for line in self.text.splitlines() if not line.lstrip().startswith(("#", "PREFIX"))
        ).lstrip()
        word = body.split(None, 1)[0].lower()
        return "construct" if word in {"construct", "describe"} else word


def load_queries(folder: Path = QUERIES) -> list[Query]:
    queries = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        summary = next(
            (
                line.split(":", 1)[1].strip()
                for line in text.splitlines()
                if line.startswith("#+ summary:")
            ),
            path.stem,
        )
        queries.append(Query(path.stem, summary, text))
    return queries


def count_rows(query: Query, body: bytes) -> int:
    """Result rows (SELECT), 1 (ASK) or triples (CONSTRUCT) in a response body."""
    if query.form == "construct":
        return sum(1 for line in body.splitlines() if line.strip() and not line.startswith(b"#"))
    data = json.loads(body)
    if "boolean" in data:
        return 1
    return len(data["results"]["bindings"])


# --- servers -------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    endpoint: str  # the SPARQL URL
    process: subprocess.Popen[bytes]
    log: Path
    started: float
    ready_after: float = 0.0

    @property
    def host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.endpoint)
        return parts.hostname or "127.0.0.1", parts.port or 80

    @property
    def path(self) -> str:
        return urlsplit(self.endpoint).path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spawn(name: str, argv: list[str], endpoint: str, logs: Path) -> Server:
    log = logs / f"{name}.log"
    process = subprocess.Popen(
        argv,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=REPO,
        start_new_session=True,  # its own process group: stopping it stops its children too
    )
    return Server(name, endpoint, process, log, time.monotonic())


def start_ours(corpus: Path, logs: Path) -> Server:
    port = free_port()
    exe = BIN / "plangraph"
    argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "plangraph.cli"]
    argv += ["serve", "--data", str(corpus), "--host", "127.0.0.1", "--port", str(port)]
    return _spawn("plangraph", argv, f"http://127.0.0.1:{port}/sparql", logs)


def start_oxigraph(nquads: Path, store_dir: Path, logs: Path) -> Server:
    exe = BIN / "oxigraph" if (BIN / "oxigraph").exists() else shutil.which("oxigraph")
    if not exe:
        raise BenchError("the oxigraph command is missing: .venv/bin/pip install -e '.[bench]'")
    if store_dir.exists():
        shutil.rmtree(store_dir)
    loaded = subprocess.run(
        [str(exe), "load", "--location", str(store_dir), "--file", str(nquads)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if loaded.returncode != 0:
        raise BenchError(f"oxigraph load failed: {loaded.stderr.strip()[-500:]}")
    port = free_port()
    argv = [
        str(exe),
        "serve-read-only",
        "--location",
        str(store_dir),
        "--bind",
        f"127.0.0.1:{port}",
        "--union-default-graph",
    ]
    return _spawn("oxigraph", argv, f"http://127.0.0.1:{port}/query", logs)


def start_rdflib(nquads: Path, logs: Path) -> Server:
    port = free_port()
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--serve-rdflib",
        str(nquads),
        "--port",
        str(port),
    ]
    return _spawn("rdflib-endpoint", argv, f"http://127.0.0.1:{port}/sparql", logs)


def serve_rdflib(nquads: Path, port: int) -> None:
    """rdflib-endpoint as its README runs it: a Dataset with the union default graph, uvicorn."""
    import uvicorn
    from rdflib import Dataset
    from rdflib_endpoint import SparqlEndpoint

    dataset = Dataset(default_union=True)
    dataset.parse(str(nquads), format="nquads")
    app = SparqlEndpoint(graph=dataset, path="/sparql", cors_enabled=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def wait_ready(server: Server, timeout: float) -> None:
    """Poll with ASK {} until the server answers 200; fail if it exits or takes too long."""
    deadline = server.started + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited early:\n{_tail(server.log)}")
        try:
            status, _ = _once(server, Query("ready", "", "ASK {}"), timeout=5)
            if status == 200:
                server.ready_after = time.monotonic() - server.started
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{server.name} did not answer within {timeout:g} s:\n{_tail(server.log)}")


def stop(server: Server) -> None:
    """SIGINT to the server (a clean shutdown), then SIGTERM and SIGKILL to its process group."""
    steps = (
        (os.kill, signal.SIGINT, 10),
        (os.killpg, signal.SIGTERM, 5),
        (os.killpg, signal.SIGKILL, 5),
    )
    for send, sig, wait in steps:
        if server.process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            send(server.process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=wait)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.process.pid, signal.SIGKILL)  # stray workers of a dead leader


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- HTTP ----------------------------------------------------------------------------------


class Client:
    """One keep-alive connection to one server; POST application/sparql-query, as clients do."""

    def __init__(self, server: Server, timeout: float = 600) -> None:
        self.server = server
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def run(self, query: Query) -> tuple[float, bytes]:
        """Seconds from sending the request to having read the whole body, and the body."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(*self.server.host_port, timeout=self.timeout)
            try:
                started = time.perf_counter()
                self.conn.request(
                    "POST",
                    self.server.path,
                    query.text.encode("utf-8"),
                    {
                        "Content-Type": "application/sparql-query",
                        "Accept": ACCEPT[query.form],
                    },
                )
                response = self.conn.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # the server closed an idle keep-alive connection: retry once
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            if response.status != 200:
                raise BenchError(
                    f"{self.server.name} answered {response.status} to {query.name}: {body[:300]!r}"
                )
            return elapsed, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _once(server: Server, query: Query, timeout: float) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(*server.host_port, timeout=timeout)
    try:
        conn.request(
            "POST",
            server.path,
            query.text.encode(),
            {"Content-Type": "application/sparql-query", "Accept": ACCEPT[query.form]},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Latency:
    median_ms: float
    reps: int
    rows: int


@dataclass
class Throughput:
    queries: int
    seconds: float
    errors: list[str] = field(default_factory=list)

    @property
    def qps(self) -> float:
        return self.queries / self.seconds if self.seconds else 0.0


def measure_latency(
    runners: dict[str, Callable[[Query], tuple[float, bytes]]],
    query: Query,
    reps: int,
    budgets: dict[str, float],
) -> dict[str, Latency]:
    """Two warm-up runs on each runner, then `reps` timed rounds in which the runners take turns.

    Taking turns, in an order that rotates every round, spreads a noisy neighbour's load over
    all runners alike. A runner with a time budget (rdflib-endpoint, 30-100x slower) is timed
    on its own afterwards, in as many runs as fit in the budget, never fewer than 5, so that
    whatever it does after answering cannot slow the runner that follows it."""
    rows, per_run = {}, {}
    for name, run in runners.items():
        first, body = run(query)
        rows[name] = count_rows(query, body)
        per_run[name] = min(first, run(query)[0])
    times: dict[str, list[float]] = {name: [] for name in runners}
    together = [name for name in runners if name not in budgets]
    for round_ in range(reps):
        shift = round_ % len(together)
        for name in together[shift:] + together[:shift]:
            times[name].append(runners[name](query)[0])
    for name, budget in budgets.items():
        if name in runners:
            fit = int(budget / per_run[name]) if per_run[name] > 0 else reps
            times[name] = [runners[name](query)[0] for _ in range(max(5, min(reps, fit)))]
    return {
        name: Latency(statistics.median(times[name]) * 1000, len(times[name]), rows[name])
        for name in runners
    }


def in_process_runner(store: object) -> Callable[[Query], tuple[float, bytes]]:
    """pyoxigraph in this process, serialising as the servers are asked to: the floor."""
    import pyoxigraph as ox

    def run(query: Query) -> tuple[float, bytes]:
        started = time.perf_counter()
        result = store.query(query.text, use_default_graph_as_union=True)  # type: ignore[attr-defined]
        out = io.BytesIO()
        if isinstance(result, ox.QueryTriples):
            ox.serialize(result, out, ox.RdfFormat.N_TRIPLES)
        else:
            result.serialize(out, ox.QueryResultsFormat.JSON)
        return time.perf_counter() - started, out.getvalue()

    return run


def measure_throughput(
    server: Server, queries: list[Query], clients: int, rounds: int
) -> Throughput:
    """`clients` threads, each running the whole mix `rounds` times on its own connection."""
    errors: list[str] = []
    done = [0] * clients
    start_line = threading.Barrier(clients + 1)

    def client_main(i: int) -> None:
        client = Client(server)
        order = queries[i % len(queries) :] + queries[: i % len(queries)]  # not all in step
        start_line.wait()
        try:
            for _ in range(rounds):
                for query in order:
                    client.run(query)
                    done[i] += 1
        except (BenchError, OSError, http.client.HTTPException) as err:
            errors.append(f"client {i}: {err}")
        finally:
            client.close()

    threads = [threading.Thread(target=client_main, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return Throughput(sum(done), time.perf_counter() - started, errors)


# --- the report ----------------------------------------------------------------------------


class Report:
    """Prints lines and keeps them, to save exactly what was printed."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


def machine() -> list[str]:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    versions = []
    for package in (
        "pyoxigraph",
        "oxigraph",
        "rdflib",
        "rdflib-endpoint",
        "Flask",
        "waitress",
        "uvicorn",
        "fastapi",
    ):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    return [
        f"machine : {cpu}, {os.cpu_count()} cores{memory}, {platform.system()} "
        f"{platform.release()}",
        f"python  : {platform.python_implementation()} {platform.python_version()}",
        f"versions: {', '.join(versions)}",
    ]


def _progress(message: str) -> None:
    """A line on stderr while it runs; not part of the saved report."""
    print(f"  … {message}", file=sys.stderr, flush=True)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


# --- the run -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sparql_bench.py",
        description="Compare plangraph serve, oxigraph serve-read-only and rdflib-endpoint on "
        "one synthetic corpus. Exit status: 0 measured, 1 servers disagree or a request failed, "
        "2 bad arguments or a server would not start.",
    )
    parser.add_argument("--editions", type=int, default=300, help="synthetic editions (300)")
    parser.add_argument("--reps", type=int, default=15, help="timed runs per query (15)")
    parser.add_argument(
        "--rdflib-budget",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="time per query for rdflib-endpoint's runs; never fewer than 5 (20)",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="times each client runs the mix on the fast servers (3)",
    )
    parser.add_argument(
        "--rdflib-rounds",
        type=int,
        default=1,
        help="times each client runs the mix on rdflib-endpoint (1)",
    )
    parser.add_argument("--skip-rdflib", action="store_true", help="leave rdflib-endpoint out")
    parser.add_argument("--out", type=Path, default=OUT, help="working folder (bench/out)")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--serve-rdflib", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_rdflib:  # the child process that is the rdflib-endpoint server
        serve_rdflib(args.serve_rdflib, args.port)
        return 0
    if min(args.editions, args.reps, args.clients, args.rounds, args.rdflib_rounds) < 1:
        parser.error("counts must be at least 1")
    report = Report()
    servers: list[Server] = []
    try:
        code = _run(args, report, servers)
    except (BenchError, OSError, http.client.HTTPException) as err:
        report(f"ERROR: {err!r}" if not isinstance(err, BenchError) else f"ERROR: {err}")
        code = 2 if not any(s.ready_after for s in servers) else 1
    except KeyboardInterrupt:
        report("interrupted")
        code = 130
    finally:
        for server in servers:
            stop(server)
    if not args.no_save and code in {0, 1}:
        path = RESULTS / f"sparql-{dt.date.today().isoformat()}.txt"
        report.save(path)
        print(f"(saved to {path.relative_to(REPO)})")
    return code


def _run(args: argparse.Namespace, report: Report, servers: list[Server]) -> int:
    import pyoxigraph as ox

    from plangraph import store as plangraph_store

    queries = load_queries()
    work = args.out
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)

    started = time.perf_counter()
    corpus = synthetic.generate(args.editions, work / "corpus")
    generated = time.perf_counter() - started
    graph = plangraph_store.load(corpus.files)
    nquads = work / "corpus.nq"
    # Oxigraph and rdflib read the quads our loader made, so all three hold the same dataset.
    graph.store.dump(str(nquads), ox.RdfFormat.N_QUADS)
    triples = len(graph)

    servers.append(start_ours(corpus.root, logs))
    if not args.skip_rdflib:
        servers.append(start_rdflib(nquads, logs))  # slow to load: start it early
    servers.append(start_oxigraph(nquads, work / "oxigraph-store", logs))
    timeouts = {"plangraph": 300, "oxigraph": 120, "rdflib-endpoint": 1800}
    for server in servers:
        wait_ready(server, timeouts[server.name])
    by_name = {s.name: s for s in servers}
    order = [n for n in ("plangraph", "oxigraph", "rdflib-endpoint") if n in by_name]

    now = dt.datetime.now().astimezone()
    report(f"SPARQL endpoint benchmark — {now:%Y-%m-%d %H:%M %Z} (bench/sparql_bench.py)")
    for line in machine():
        report(line)
    report(
        f"corpus  : {args.editions} synthetic editions, {len(corpus.files)} files, "
        f"{triples} triples (quads) in {len(graph.named_graphs())} named graphs; "
        f"generated in {generated:.1f} s"
    )
    report(
        "servers : "
        + "; ".join(f"{s.name} ready {s.ready_after:.1f} s after start" for s in servers)
    )
    report(
        f"method  : POST application/sparql-query on a keep-alive connection, SELECT/ASK as "
        f"SPARQL JSON, CONSTRUCT as N-Triples; 2 warm-ups, then median of {args.reps} runs, "
        f"ours, oxigraph and in-proc taking turns in rotating order; rdflib-endpoint timed "
        f"alone after them, as many runs as fit in {args.rdflib_budget:g} s, at least 5; "
        f"in-proc = pyoxigraph in the benchmark's own process, query + JSON/N-Triples"
    )
    report()

    runners: dict[str, Callable[[Query], tuple[float, bytes]]] = {}
    clients = {name: Client(by_name[name]) for name in order}
    for name in order:
        runners[name] = clients[name].run
    runners["in-proc"] = in_process_runner(graph.store)

    load_at_start = os.getloadavg()[0]
    results: dict[str, dict[str, Latency]] = {}
    budgets = {"rdflib-endpoint": args.rdflib_budget}
    for query in queries:
        results[query.name] = measured = measure_latency(runners, query, args.reps, budgets)
        _progress(
            f"{query.name}: "
            + ", ".join(f"{k} {v.median_ms:.2f} ms/{v.rows} rows" for k, v in measured.items())
        )
    for client in clients.values():
        client.close()

    header = (
        f"{'query':<29}{'rows':>7}{'ours ms':>10}{'oxigraph':>10}{'rdflib':>10}"
        f"{'in-proc':>9}{'ours/oxi':>10}{'rdflib/ours':>12}  goals"
    )
    report("Median latency per query (ms)")
    report(header)
    report("-" * len(header))
    disagreements = []
    heavy = []
    for query in queries:
        row = results[query.name]
        rows = {name: lat.rows for name, lat in row.items()}
        if len(set(rows.values())) > 1:
            disagreements.append(f"{query.name}: " + ", ".join(f"{k} {v}" for k, v in rows.items()))
        ours = row["plangraph"].median_ms
        oxi = row["oxigraph"].median_ms
        rdf = row["rdflib-endpoint"].median_ms if "rdflib-endpoint" in row else None
        goals = ""
        if oxi >= SLOW_MS:
            heavy.append(query.name)
            ok_oxi = ours <= oxi
            ok_rdf = rdf is None or rdf / ours >= 5
            goals = (
                "ok"
                if ok_oxi and ok_rdf
                else " ".join(
                    x
                    for x, ok in (("SLOWER-THAN-OXIGRAPH", ok_oxi), ("UNDER-5x-RDFLIB", ok_rdf))
                    if not ok
                )
            )
        row_count = str(rows["plangraph"]) if len(set(rows.values())) == 1 else "DIFFER"
        report(
            f"{query.name:<29}{row_count:>7}{_ms(ours):>10}{_ms(oxi):>10}{_ms(rdf):>10}"
            f"{_ms(row['in-proc'].median_ms):>9}{_ratio(ours, oxi):>10}"
            f"{_ratio(rdf, ours):>12}  {goals}"
        )
    report()
    report(
        f"goals apply to the {len(heavy)} queries that take Oxigraph's server ≥ {SLOW_MS:g} ms: "
        "ours/oxi ≤ 1.00 and rdflib/ours ≥ 5"
    )
    if "rdflib-endpoint" in order:
        reps = sorted({results[q.name]["rdflib-endpoint"].reps for q in queries})
        report(f"rdflib-endpoint runs per query: {', '.join(map(str, reps))}")
    report()

    report("Fixed per-request overhead (median ms; in-proc is the store's own share)")
    for name in ("01-ask-empty", "02-lookup-title"):
        if name in results:
            row = results[name]
            parts = [f"{server} {_ms(row[server].median_ms)}" for server in [*order, "in-proc"]]
            report(f"  {name:<27}" + "   ".join(parts))
    report()

    report(
        f"Throughput: {args.clients} concurrent clients, each running the whole mix of "
        f"{len(queries)} queries"
    )
    for name in order:
        rounds = args.rdflib_rounds if name == "rdflib-endpoint" else args.rounds
        _progress(f"throughput of {name}")
        tp = measure_throughput(by_name[name], queries, args.clients, rounds)
        note = f"; {len(tp.errors)} ERRORS: {tp.errors[0]}" if tp.errors else ""
        report(
            f"  {name:<17}{tp.qps:>8.1f} queries/s  ({tp.queries} queries in "
            f"{tp.seconds:.1f} s, {rounds} round(s) per client){note}"
        )
        if tp.errors:
            disagreements.append(f"{name}: {len(tp.errors)} failed clients")
    report(
        f"load    : 1-minute load average {load_at_start:.2f} when measuring began, "
        f"{os.getloadavg()[0]:.2f} at the end (other processes on the machine add noise)"
    )
    report()
    if disagreements:
        report("NOT COMPARABLE: " + "; ".join(disagreements))
        return 1
    report("All servers returned the same number of rows for every query.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
