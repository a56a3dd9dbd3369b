"""Benchmark: our SPARQL endpoint against Oxigraph's own server, in memory and on RocksDB.

The primary peer is `oxigraph serve` with an in-memory store, loaded over its Graph Store
endpoint: the same engine as plangraph's in the same configuration, which is what a user choosing
between the two compares. Oxigraph's server on RocksDB is a second row, rdflib-endpoint a third
(optional: it is 30-100x slower). The script writes a synthetic corpus (bench/synthetic.py) into
bench/out/, gives every server exactly the same quads, checks that every server returns the same
answer to every query of bench/queries/ (row counts and values), then runs the whole measurement
--runs times in one invocation: per run, the median latency of each query per server (and of
pyoxigraph in this process, the floor any endpoint on it can reach), then the throughput of 8, 32
and 64 concurrent clients against plangraph and Oxigraph in memory. It prints, per query and
server, the median of the runs' medians and their spread (min-max), and saves what it printed
to bench/results/sparql-<date>.txt.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/sparql_bench.py --skip-rdflib     # about 15 minutes on 2 cores

Exit status: 0 measured (goals met or not: the table says), 1 the servers disagree on an answer
or a request failed, 2 bad arguments or a server would not start.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import http.client
import io
import json
import os
import platform
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

from bench import engines  # noqa: E402

QUERIES = BENCH / "queries"
OUT = BENCH / "out"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent
SLOW_MS = 5.0  # queries that take Oxigraph in memory this long: plangraph at most 1.0x
HEAVY_GOAL = 1.0
LIGHT_GOAL = 1.5  # lighter queries: at most 1.5x (a Python HTTP server's floor is ~0.3 ms)
CLIENTS = (8, 32, 64)
PRIMARY = "oxigraph"  # Oxigraph's server, in memory: the peer the goals compare with
ACCEPT = {
    "select": "application/sparql-results+json",
    "ask": "application/sparql-results+json",
    "construct": "application/n-triples",
}


class BenchError(Exception):
    """Something that makes the comparison meaningless: a failed request, a server that died."""


class Shed(BenchError):
    """503 with Retry-After: the server shed the request under load (a client waits and retries)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"503, retry after {retry_after:g} s")
        self.retry_after = retry_after


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

    @property
    def accept(self) -> str:
        """The media type asked for: the query's `#+ accept:` header, else by its form."""
        return _header(self.text, "accept") or ACCEPT[self.form]


def _header(text: str, name: str) -> str | None:
    prefix = f"#+ {name}:"
    return next(
        (line[len(prefix) :].strip() for line in text.splitlines() if line.startswith(prefix)),
        None,
    )


def load_queries(folder: Path = QUERIES) -> list[Query]:
    queries = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        queries.append(Query(path.stem, _header(text, "summary") or path.stem, text))
    return queries


def count_rows(query: Query, body: bytes) -> int:
    """Result rows (SELECT), 1 (ASK) or triples (CONSTRUCT) in a response body."""
    answer = canonical_answer(query, body)
    return 1 if isinstance(answer, bool) else len(answer)


def canonical_answer(query: Query, body: bytes) -> bool | list[tuple[str, ...]]:
    """An answer in a form that compares across servers: the boolean of an ASK, else the sorted
    rows (or triples) with blank nodes canonicalised, so values are compared, not only counts."""
    media = query.accept
    if query.form == "construct":
        from rdflib import Graph
        from rdflib.compare import to_canonical_graph

        graph = Graph().parse(data=body, format="nt")
        return sorted((s.n3(), p.n3(), o.n3()) for s, p, o in to_canonical_graph(graph))
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        return sorted(tuple("_:" if v.startswith("_:") else v for v in row) for row in rows[1:])
    data = json.loads(body)
    if "boolean" in data:
        return bool(data["boolean"])
    names = data["head"]["vars"]
    return sorted(
        tuple(_json_term(binding.get(name)) for name in names)
        for binding in data["results"]["bindings"]
    )


def _json_term(term: dict[str, str] | None) -> str:
    if term is None:
        return ""
    kind = {"typed-literal": "literal"}.get(term["type"], term["type"])
    if kind == "bnode":
        return "_:"
    datatype = term.get("datatype", "")
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        datatype = ""
    return f"{kind}|{term['value']}|{datatype}|{term.get('xml:lang', '').lower()}"


# --- servers -------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    endpoint: str  # the SPARQL URL
    process: subprocess.Popen[bytes]
    log: Path
    started: float
    ready_after: float = 0.0
    loaded_in: float = 0.0  # seconds to load the corpus (Oxigraph: over HTTP or `oxigraph load`)
    engine: engines.Engine | None = None  # started by bench/engines.py (stopped by it)

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


def _from_engine(engine: engines.Engine, loaded_in: float) -> Server:
    return Server(
        engine.name,
        engine.query_url,
        engine.process,
        engine.log,
        engine.started,
        engine.ready_after,
        loaded_in,
        engine,
    )


def start_oxigraph_memory(nquads: Path, work: Path) -> Server:
    """`oxigraph serve` in memory, loaded with the N-Quads over its Graph Store endpoint."""
    engine = engines.start_oxigraph(work / "oxigraph-memory", union_default_graph=True)
    started = time.monotonic()
    try:
        engines.load_graph_store(engine, nquads.read_bytes(), "application/n-quads", None)
    except OSError as err:
        engines.stop(engine)
        raise BenchError(f"loading Oxigraph in memory over /store failed: {err}") from None
    return _from_engine(engine, time.monotonic() - started)


def start_oxigraph_rocksdb(nquads: Path, work: Path) -> Server:
    """`oxigraph load` (its bulk loader) into RocksDB, then `oxigraph serve --location`."""
    store_dir = work / "oxigraph-rocksdb-store"
    if store_dir.exists():
        import shutil

        shutil.rmtree(store_dir)
    started = time.monotonic()
    loaded = subprocess.run(
        [engines.oxigraph_exe(), "load", "--location", str(store_dir), "--file", str(nquads)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if loaded.returncode != 0:
        raise BenchError(f"oxigraph load failed: {loaded.stderr.strip()[-500:]}")
    loaded_in = time.monotonic() - started
    engine = engines.start_oxigraph(
        work / "oxigraph-rocksdb", location=store_dir, union_default_graph=True
    )
    return _from_engine(engine, loaded_in)


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
    if server.ready_after:
        return
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
    if server.engine is not None:
        engines.stop(server.engine)
        return
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
                    {"Content-Type": "application/sparql-query", "Accept": query.accept},
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
            retry_after = response.getheader("Retry-After")
            if response.status == 503 and retry_after and retry_after.isdigit():
                raise Shed(float(retry_after))
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
            {"Content-Type": "application/sparql-query", "Accept": query.accept},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Throughput:
    queries: int
    seconds: float
    errors: list[str] = field(default_factory=list)
    shed: int = 0  # 503 + Retry-After answers, waited for and sent again
    cpu: float = 0.0  # CPU seconds the server's processes used meanwhile

    @property
    def qps(self) -> float:
        return self.queries / self.seconds if self.seconds else 0.0

    @property
    def per_cpu(self) -> float:
        """Queries per CPU second: the work each query costs, whatever share of a shared
        machine the server got."""
        return self.queries / self.cpu if self.cpu else 0.0


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds of a process and each living descendant (query workers)."""
    found: dict[int, float] = {}
    for p in [pid, *engines._descendants(pid)]:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            found[p] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings by the processes alive at the second (a worker killed
    meanwhile takes its share with it: an undercount, never a negative)."""
    return sum(max(cpu - before.get(pid, 0.0), 0.0) for pid, cpu in after.items())


def measure_latency(
    runners: dict[str, Callable[[Query], tuple[float, bytes]]],
    query: Query,
    reps: int,
    budgets: dict[str, float],
) -> dict[str, float]:
    """Median milliseconds per runner: two warm-ups each, then `reps` rounds taking turns.

    Taking turns, in an order that rotates every round, spreads a noisy neighbour's load over
    all runners alike. A runner with a time budget (rdflib-endpoint) is timed on its own
    afterwards, in as many runs as fit in the budget, never fewer than 5, so that whatever it
    does after answering cannot slow the runner that follows it."""
    per_run = {}
    for name, run in runners.items():
        per_run[name] = min(run(query)[0], run(query)[0])
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
    return {name: statistics.median(times[name]) * 1000 for name in runners}


def in_process_runner(store: object) -> Callable[[Query], tuple[float, bytes]]:
    """pyoxigraph in this process, serialising as the servers are asked to: the floor."""
    import pyoxigraph as ox

    results_formats = {
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "text/csv": ox.QueryResultsFormat.CSV,
    }

    def run(query: Query) -> tuple[float, bytes]:
        started = time.perf_counter()
        result = store.query(query.text, use_default_graph_as_union=True)  # type: ignore[attr-defined]
        out = io.BytesIO()
        if isinstance(result, ox.QueryTriples):
            ox.serialize(result, out, ox.RdfFormat.N_TRIPLES)
        else:
            result.serialize(out, results_formats[query.accept])
        return time.perf_counter() - started, out.getvalue()

    return run


def measure_throughput(
    server: Server, queries: list[Query], clients: int, seconds: float
) -> Throughput:
    """`clients` threads on their own connections run the mix, from different starting points,
    until `seconds` have passed; queries answered per second of wall time until the last ends."""
    errors: list[str] = []
    done = [0] * clients
    shed = [0] * clients
    start_line = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client_main(i: int) -> None:
        client = Client(server)
        order = queries[i % len(queries) :] + queries[: i % len(queries)]  # not all in step
        start_line.wait()
        try:
            while True:
                for query in order:
                    while True:
                        try:
                            client.run(query)
                            break
                        except Shed as err:  # as a polite client does: wait, then again
                            shed[i] += 1
                            time.sleep(err.retry_after)
                    done[i] += 1
                    if time.perf_counter() >= stop_at[0]:
                        return
        except (BenchError, OSError, http.client.HTTPException) as err:
            errors.append(f"client {i}: {err!r}"[:300])
        finally:
            client.close()

    threads = [threading.Thread(target=client_main, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    cpu_before = cpu_seconds(server.process.pid)
    start_line.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = cpu_used(cpu_before, cpu_seconds(server.process.pid))
    return Throughput(sum(done), elapsed, errors, sum(shed), cpu)


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
    for package in ("pyoxigraph", "rdflib", "rdflib-endpoint", "Flask", "waitress", "uvicorn"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    with contextlib.suppress(engines.EngineMissing, OSError, subprocess.SubprocessError):
        server = subprocess.run(
            [engines.oxigraph_exe(), "--version"], capture_output=True, text=True, timeout=30
        )
        versions.append(f"server {server.stdout.strip()}")
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


def _spread(values: list[float]) -> str:
    """'median (min–max)' of the runs; just the value for a single run."""
    if not values:
        return "-"
    if len(values) == 1:
        return _ms(values[0])
    return f"{_ms(statistics.median(values))} ({_ms(min(values))}–{_ms(max(values))})"


# --- the run -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sparql_bench.py",
        description="Compare plangraph serve with Oxigraph's server (in memory and on RocksDB) "
        "and rdflib-endpoint on one synthetic corpus, in repeated runs. Exit status: 0 measured, "
        "1 servers disagree or a request failed, 2 bad arguments or a server would not start.",
    )
    parser.add_argument("--editions", type=int, default=300, help="synthetic editions (300)")
    parser.add_argument("--runs", type=int, default=3, help="whole measurements, repeated (3)")
    parser.add_argument("--reps", type=int, default=11, help="timed requests per query (11)")
    parser.add_argument(
        "--rdflib-budget",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="time per query for rdflib-endpoint's runs (first run only); at least 5 runs (20)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=8.0,
        help="length of each throughput measurement, per server and client count (8)",
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
    if min(args.editions, args.reps, args.runs) < 1 or args.seconds <= 0:
        parser.error("counts must be at least 1")
    report = Report()
    servers: list[Server] = []
    try:
        code = _run(args, report, servers)
    except (BenchError, engines.EngineFailed, engines.EngineMissing) as err:
        report(f"ERROR: {err}")
        code = 2 if not all(s.ready_after for s in servers) else 1
    except (OSError, http.client.HTTPException) as err:
        report(f"ERROR: {err!r}")
        code = 1
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
    # Oxigraph and rdflib read the quads our loader made, so every server holds the same dataset.
    graph.store.dump(str(nquads), ox.RdfFormat.N_QUADS)
    triples = len(graph)

    servers.append(start_ours(corpus.root, logs))
    if not args.skip_rdflib:
        servers.append(start_rdflib(nquads, logs))  # slow to load: start it early
    _progress("loading Oxigraph in memory over /store")
    servers.append(start_oxigraph_memory(nquads, work))
    _progress("loading Oxigraph on RocksDB with `oxigraph load`")
    servers.append(start_oxigraph_rocksdb(nquads, work))
    timeouts = {"plangraph": 300, "rdflib-endpoint": 1800}
    for server in servers:
        wait_ready(server, timeouts.get(server.name, 120))
    by_name = {s.name: s for s in servers}
    peers = ("plangraph", PRIMARY, "oxigraph-rocksdb", "rdflib-endpoint")
    order = [n for n in peers if n in by_name]

    now = dt.datetime.now().astimezone()
    report(f"SPARQL endpoint benchmark — {now:%Y-%m-%d %H:%M %Z} (bench/sparql_bench.py)")
    for line in machine():
        report(line)
    report(
        f"corpus  : {args.editions} synthetic editions, {len(corpus.files)} files, "
        f"{triples} triples (quads) in {len(graph.named_graphs())} named graphs; "
        f"generated in {generated:.1f} s"
    )
    report("servers : plangraph = `plangraph serve --data corpus` (in-memory pyoxigraph store,")
    report("          waitress + Flask, forked query workers: one fast-lane worker, the main")
    report("          pool at nice 10 as the fast lane has it; default settings)")
    report("          oxigraph = `oxigraph serve --union-default-graph` IN MEMORY, loaded with")
    report("          the same N-Quads over its Graph Store endpoint (POST /store): the peer")
    report("          oxigraph-rocksdb = `oxigraph load` into RocksDB, then `oxigraph serve")
    report("          --location … --union-default-graph`")
    if "rdflib-endpoint" in by_name:
        report("          rdflib-endpoint = rdflib Dataset(default_union=True) under uvicorn")
    report(
        "          "
        + "; ".join(
            f"{s.name} ready {s.ready_after:.1f} s"
            + (f" (loaded in {s.loaded_in:.1f} s)" if s.loaded_in else "")
            for s in servers
        )
    )
    report(
        f"method  : {args.runs} runs in this invocation; per run and query: POST "
        f"application/sparql-query on a keep-alive connection (SPARQL JSON, N-Triples, or what "
        f"the query's `#+ accept:` says), 2 warm-ups, then {args.reps} timed requests, servers "
        f"and in-proc taking turns in rotating order; the run's median counts. rdflib-endpoint "
        f"is timed in the first run only, alone, as many requests as fit in "
        f"{args.rdflib_budget:g} s, at least 5. in-proc = pyoxigraph in the benchmark's own "
        f"process (query + serialisation, no HTTP). Cells: median of the runs' medians "
        f"(min–max over runs)."
    )
    report()

    # Answers first: every server must give the same one, values included.
    disagreements: list[str] = []
    rdflib_values: list[str] = []  # same rows, other values: reported, not a failure
    in_proc = in_process_runner(graph.store)
    rows: dict[str, int] = {}
    for query in queries:
        expected = canonical_answer(query, in_proc(query)[1])
        rows[query.name] = 1 if isinstance(expected, bool) else len(expected)
        for name in order:
            status, body = _once(by_name[name], query, timeout=600)
            if status != 200:
                raise BenchError(f"{name} answered {status} to {query.name}: {body[:300]!r}")
            answer = canonical_answer(query, body)
            if answer == expected:
                continue
            count = 1 if isinstance(answer, bool) else len(answer)
            if name == "rdflib-endpoint" and count == rows[query.name]:
                # another engine: its union default graph merges what Oxigraph's counts twice
                rdflib_values.append(query.name)
                continue
            disagreements.append(
                f"{query.name}: {name} gave a different answer ({count} rows, "
                f"in-proc {rows[query.name]})"
            )
    _progress(f"answers compared: {len(disagreements)} differences")

    latency: dict[str, dict[str, list[float]]] = {
        q.name: {n: [] for n in [*order, "in-proc"]} for q in queries
    }
    throughput: dict[int, dict[str, list[Throughput]]] = {
        c: {n: [] for n in ("plangraph", PRIMARY)} for c in CLIENTS
    }
    load_at_start = os.getloadavg()[0]
    for run in range(args.runs):
        clients = {name: Client(by_name[name]) for name in order}
        runners: dict[str, Callable[[Query], tuple[float, bytes]]] = {
            name: clients[name].run for name in order if run == 0 or name != "rdflib-endpoint"
        }
        runners["in-proc"] = in_proc
        budgets = {"rdflib-endpoint": args.rdflib_budget}
        for query in queries:
            measured = measure_latency(runners, query, args.reps, budgets)
            for name, value in measured.items():
                latency[query.name][name].append(value)
            _progress(
                f"run {run + 1} {query.name}: "
                + ", ".join(f"{k} {_ms(v)} ms" for k, v in measured.items())
            )
        for client in clients.values():
            client.close()
        for count in CLIENTS:
            pair = ["plangraph", PRIMARY] if run % 2 == 0 else [PRIMARY, "plangraph"]
            for name in pair:
                tp = measure_throughput(by_name[name], queries, count, args.seconds)
                throughput[count][name].append(tp)
                _progress(
                    f"run {run + 1} throughput {name} x{count}: {tp.qps:.1f} q/s, "
                    f"{tp.per_cpu:.1f} per CPU s"
                )
                if tp.errors:
                    disagreements.append(
                        f"{name} x{count}: {len(tp.errors)} failed clients ({tp.errors[0]})"
                    )

    names = [*order, "in-proc"]
    widths = {name: max(len(name), 22) + 2 for name in names}
    header = f"{'query':<30}{'rows':>6}" + "".join(f"{n:>{widths[n]}}" for n in names)
    header += f"{'plangraph/oxigraph':>24}  goal"
    report("Latency per query, ms: median of the runs' medians (min–max over runs)")
    report(header)
    report("-" * len(header))
    missed: list[str] = []
    for query in queries:
        row = latency[query.name]
        ours, peer = statistics.median(row["plangraph"]), statistics.median(row[PRIMARY])
        ratios = [a / b for a, b in zip(row["plangraph"], row[PRIMARY], strict=True) if b]
        goal = HEAVY_GOAL if peer >= SLOW_MS else LIGHT_GOAL
        ratio = ours / peer if peer else 0.0
        verdict = f"≤{goal:.1f} " + ("ok" if ratio <= goal else "MISSED")
        if ratio > goal:
            missed.append(query.name)
        cells = "".join(f"{_spread(row[n]):>{widths[n]}}" for n in names)
        report(
            f"{query.name:<30}{rows[query.name]:>6}{cells}"
            f"{f'{ratio:.2f} ({min(ratios):.2f}–{max(ratios):.2f})':>24}  {verdict}"
        )
    report()
    report(
        f"goals: plangraph/oxigraph (in memory) ≤ {HEAVY_GOAL:.1f} on queries that take "
        f"Oxigraph ≥ {SLOW_MS:g} ms, ≤ {LIGHT_GOAL:.1f} on lighter ones; ratio = ratio of the "
        f"medians (range of the per-run ratios). Missed: {', '.join(missed) or 'none'}"
    )
    report()

    report(
        f"Throughput, queries/s: clients on their own keep-alive connections run the whole mix "
        f"of {len(queries)} queries for {args.seconds:g} s; a 503 with Retry-After is waited "
        f"for and sent again (counted); median (min–max) of {args.runs} runs"
    )
    report(
        f"{'clients':>8}{'plangraph':>24}{'oxigraph (memory)':>24}{'plangraph/oxigraph':>22}"
        f"{'queries per CPU-second: plangraph':>36}{'oxigraph':>10}"
    )
    for count in CLIENTS:
        ours_q = [t.qps for t in throughput[count]["plangraph"]]
        peer_q = [t.qps for t in throughput[count][PRIMARY]]
        errors = sum(len(t.errors) for n in throughput[count] for t in throughput[count][n])
        shed = sum(t.shed for t in throughput[count]["plangraph"])
        ratio = statistics.median(ours_q) / statistics.median(peer_q) if peer_q else 0.0
        note = f"  {errors} failed clients" if errors else ""
        note += f"  plangraph shed {shed} requests with 503 + Retry-After" if shed else ""
        ours_c = statistics.median(t.per_cpu for t in throughput[count]["plangraph"])
        peer_c = statistics.median(t.per_cpu for t in throughput[count][PRIMARY])
        report(
            f"{count:>8}{_spread(ours_q):>24}{_spread(peer_q):>24}{ratio:>22.2f}"
            f"{ours_c:>36.1f}{peer_c:>10.1f}{note}"
        )
    report()
    report(
        f"load    : 1-minute load average {load_at_start:.2f} when measuring began, "
        f"{os.getloadavg()[0]:.2f} at the end (other processes on the machine add noise)"
    )
    report()
    if disagreements:
        report("NOT COMPARABLE: " + "; ".join(disagreements))
        return 1
    oxigraph_peers = ", ".join(n for n in order if n != "rdflib-endpoint")
    report(
        f"{oxigraph_peers} and in-proc gave the same answer (rows and values) to each of the "
        f"{len(queries)} queries."
    )
    if "rdflib-endpoint" in order:
        report(
            "rdflib-endpoint gave the same number of rows to every query; other values on: "
            + (", ".join(rdflib_values) or "none")
            + " (its union default graph is a set, Oxigraph's a multiset: counts differ)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
