"""Scale benchmark: plangraph in-process, Oxigraph's server and Virtuoso over synthetic plan
corpora of about 1 million and 10 million triples, in one run, with how each figure grows.

For each scale it writes the corpus (bench/synthetic.py: plan editions in the real ontology's
shape), exports it once as N-Quads with plangraph (so every engine holds exactly the same
quads, the materialised shortcuts included), then, one engine after another (each stopped
before the next starts, so they never share the memory):

- plangraph: `plangraph serve --data corpus` (in memory, as deployed without --store); load
  time as it prints it, then the time until /readyz answers 200 (search index built);
- Oxigraph's server, in memory, loaded with one POST of the N-Quads to its Graph Store
  endpoint (/store), default graph as the union of the graphs;
- Virtuoso Open Source, bulk loaded with ld_dir/rdf_loader_run() through isql, on disk.

and prints: load time, resident memory (the sum of proportional set sizes over the process
tree, so forked workers' shared pages count once; also the main process's RSS), on-disk size,
median and p95 latency of every named query (queries/*.rq, parameters unbound as
/queries/<name> runs them) and every page query (api/page_queries/*.rq, bound with a trailing
VALUES to one synthetic edition's IRIs), and the throughput of 8, 32 and 64 concurrent clients
running a page-like mix for a bounded time each, with error counts. Every request is SPARQL
1.1 Protocol over loopback HTTP, with the same text for every engine.

    .venv/bin/python bench/scale_bench.py                      # 1M and 10M, all engines
    .venv/bin/python bench/scale_bench.py --scales 1M          # the quick run
    .venv/bin/python bench/scale_bench.py --engines plangraph  # one engine

It saves what it printed to bench/results/scale-<date>.txt. Exit status: 0 measured (goals met
or not: the summary says), 1 an engine failed to start or load, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from bench import engines  # noqa: E402
from bench.synthetic import generate  # noqa: E402
from plangraph.binding import with_values  # noqa: E402

OUT = BENCH / "out" / "scale"
RESULTS = BENCH / "results"
BASE = "https://w3id.org/plangraph/"
PG = BASE + "ontology#"
# Editions per scale: one synthetic edition is about 2,720 triples with the shortcuts.
SCALES = {"1M": 368, "10M": 3680}
# plangraph-oxigraph / plangraph-virtuoso: `plangraph serve --sparql-endpoint` in front of the
# engine, loaded as above (plangraph.remote); asked through plangraph.
ENGINES = ("plangraph", "oxigraph", "virtuoso", "plangraph-oxigraph", "plangraph-virtuoso")
PLANGRAPH = [sys.executable, "-m", "plangraph.cli"]
CLIENTS = (8, 32, 64)
QUERY_TIMEOUT = 60  # seconds any engine may spend on one query; a bench, not a service
# A query slower than this at 1M is not asked at 10M of the same engine (bounded run time).
SKIP_AFTER_MS = 10_000
MAX_ROWS = 2_000_000  # no engine's own cap cuts an answer short here
SLOW_MS = 5.0  # a "heavy" query takes at least this long at 1M (the 12x goal applies to those)
# Not measured: the search index's build query (run once at load, its answer is the index).
SKIP_PAGE_QUERIES = {"search-documents"}
ACCEPT = {
    "results": "application/sparql-results+json",
    "graph": "application/n-triples",
}


# --- what is asked ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    name: str  # "named/<stem>" or "page/<stem>"
    text: str
    kind: str  # results or graph


def _form(text: str) -> str:
    body = "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith(("#", "PREFIX"))
    )
    word = body.split(None, 1)[0].upper() if body.strip() else "SELECT"
    return "graph" if word in {"CONSTRUCT", "DESCRIBE"} else "results"


def _params(text: str) -> list[str]:
    for line in text.splitlines():
        if line.startswith("#+ params:"):
            return re.findall(r"(\w+)\s*\(", line.split(":", 1)[1])
    return []


def page_bindings(edition: str) -> dict[str, str]:
    """IRIs of one synthetic edition for the page queries' parameters."""
    stem = edition.rsplit("/", 1)[1]
    return {
        "edition": edition,
        "element": f"{edition}/task/1",
        "resource": f"{edition}/task/1",
        "source": f"{BASE}source/{stem}-text",
        "theme": f"{BASE}theme/blockchain",
        "zone": f"{BASE}zone/{stem}-1",
        "kind": f"{PG}Institution",
    }


def bind(text: str, values: dict[str, str]) -> str:
    """The query with its declared parameters bound as plangraph binds them (a VALUES block at
    the start of the WHERE group and its UNION branches), so every engine gets the same text."""
    terms = {n: f"<{values[n]}>" for n in _params(text) if n in values}
    bound, left = with_values(text, terms)
    if left:
        raise ValueError(f"no place for the parameters {sorted(left)} in {text[:80]!r}")
    return bound


def load_queries(edition: str) -> list[Query]:
    queries = [Query("probe/ask", "ASK {}", "results")]  # the fixed cost of a request
    for path in sorted((REPO / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        queries.append(Query(f"named/{path.stem}", text, _form(text)))
    values = page_bindings(edition)
    for path in sorted((REPO / "api" / "page_queries").glob("*.rq")):
        if path.stem in SKIP_PAGE_QUERIES:
            continue
        text = bind(path.read_text(encoding="utf-8"), values)
        queries.append(Query(f"page/{path.stem}", text, _form(text)))
    return queries


def mix(editions: list[str]) -> Callable[[random.Random], Query]:
    """What a crowd of readers asks: page queries of random editions, and ASK {} (a probe)."""
    pages = {
        p.stem: p.read_text(encoding="utf-8")
        for p in (REPO / "api" / "page_queries").glob("*.rq")
        if p.stem in {"edition-structure", "element-institutions", "describe", "edition-targets"}
    }

    def pick(rng: random.Random) -> Query:
        name = rng.choice([*sorted(pages), "ask"])
        if name == "ask":
            return Query("ask", "ASK {}", "results")
        text = bind(pages[name], page_bindings(rng.choice(editions)))
        return Query(name, text, _form(text))

    return pick


# --- asking over HTTP ------------------------------------------------------------------------


class Client:
    """One keep-alive connection to a SPARQL endpoint (POST, form-encoded)."""

    def __init__(self, endpoint: str, timeout: float = QUERY_TIMEOUT + 30):
        parts = urlsplit(endpoint)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port, parts.path
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def ask(self, query: Query) -> tuple[int, bytes, dict[str, str]]:
        body = urllib.parse.urlencode({"query": query.text}).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": ACCEPT[query.kind],
        }
        for attempt in (0, 1):  # a kept-alive connection the server closed: once more
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("POST", self.path, body, headers)
                response = self.conn.getresponse()
                data = response.read()
                return response.status, data, {k.lower(): v for k, v in response.getheaders()}
            except (http.client.HTTPException, ConnectionError, OSError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def count_rows(query: Query, body: bytes) -> int | str:
    if query.kind == "graph":
        return sum(1 for line in body.splitlines() if line.strip())
    try:
        data = json.loads(body)
    except ValueError as err:
        return f"bad JSON at byte {err.pos}"  # type: ignore[attr-defined,return-value]
    if "boolean" in data:
        return 1
    return len(data["results"]["bindings"])


@dataclass
class Latency:
    rows: int | str  # rows of the answer, or what went wrong
    times_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times_ms) if self.times_ms else None

    @property
    def p95(self) -> float | None:
        if not self.times_ms:
            return None
        ordered = sorted(self.times_ms)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)]


PROBE_REPEATS = 300


def measure_queries(
    endpoint: str, queries: list[Query], repeats: int, skip: dict[str, str] | None = None
) -> dict[str, Latency]:
    """Each query once to warm up and count rows, then `repeats` timed runs (fewer if slow)."""
    client = Client(endpoint)
    found: dict[str, Latency] = {}
    for query in queries:
        if skip and query.name in skip:
            found[query.name] = Latency(skip[query.name])
            continue
        try:
            started = time.perf_counter()
            status, body, _ = client.ask(query)
            first = (time.perf_counter() - started) * 1000
        except OSError as err:
            found[query.name] = Latency(f"error: {err}")
            continue
        if status != 200:
            found[query.name] = Latency(f"HTTP {status}")
            continue
        result = found[query.name] = Latency(count_rows(query, body))
        if first > SKIP_AFTER_MS:  # one run is the figure: bounded time for the slowest
            result.times_ms.append(first)
            continue
        runs = repeats if first < 2000 else max(3, repeats // 3)
        if query.name.startswith("probe/"):  # a sub-millisecond median needs many samples
            runs = max(runs, PROBE_REPEATS)
        for _ in range(runs):
            started = time.perf_counter()
            status, _, _ = client.ask(query)
            if status != 200:
                result.rows = f"HTTP {status} on repeat"
                break
            result.times_ms.append((time.perf_counter() - started) * 1000)
    client.close()
    return found


@dataclass
class Throughput:
    clients: int
    done: int
    errors: int
    seconds: float
    median_ms: float
    p95_ms: float
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def measure_throughput(
    endpoint: str, pick: Callable[[random.Random], Query], clients: int, seconds: float
) -> Throughput:
    """`clients` threads, each asking the mix back to back until `seconds` have passed."""
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def one(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(endpoint)
        mine: list[float] = []
        while time.monotonic() < deadline:
            query = pick(rng)
            started = time.perf_counter()
            try:
                status, _, _ = client.ask(query)
            except OSError as err:
                with lock:
                    errors.append(f"{query.name}: {err}")
                continue
            if status == 200:
                mine.append((time.perf_counter() - started) * 1000)
            else:
                with lock:
                    errors.append(f"{query.name}: HTTP {status}")
        client.close()
        with lock:
            times.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    ordered = sorted(times) or [0.0]
    return Throughput(
        clients,
        len(times),
        len(errors),
        took,
        statistics.median(ordered),
        ordered[max(0, round(0.95 * len(ordered)) - 1)],
        errors[0] if errors else "",
    )


# --- memory and disk -------------------------------------------------------------------------


def tree_pss_kib(pid: int) -> int:
    """Proportional set size of a process and its descendants: shared pages counted once."""
    total = 0
    for p in [pid, *engines._descendants(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return total


def status_kib(pid: int, field_name: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --- the engines -----------------------------------------------------------------------------


@dataclass
class Running:
    name: str
    endpoint: str
    pid: int
    load_s: float
    ready_s: float  # until it answers queries (plangraph: /readyz 200, search index built)
    disk_bytes: int
    how: str


@contextlib.contextmanager
def run_plangraph(
    corpus: Path, workdir: Path, over: Running | None = None, extra: tuple[str, ...] = ()
) -> Iterator[Running]:
    """`plangraph serve` on the corpus, or in front of a running engine (`over`), with any
    `extra` options (--serve-args)."""
    port = engines.free_port()
    log = workdir / "plangraph.log"
    source = ["--data", str(corpus)] if over is None else ["--sparql-endpoint", over.endpoint]
    argv = [
        *PLANGRAPH,
        "serve",
        "--port",
        str(port),
        *source,
        "--query-timeout",
        str(QUERY_TIMEOUT),
        "--max-rows",
        str(MAX_ROWS),
        "--max-answer-bytes",
        str(1024**3),
        "--access-log",
        str(workdir / "access.jsonl"),
        *extra,
    ]
    settings = f" with {' '.join(extra)}" if extra else ", default settings"
    started = time.monotonic()
    process = subprocess.Popen(
        argv, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        printed = _wait_for(log, process, "serving http", 900)
        loaded = re.search(r"loaded in ([\d.]+) s", printed)
        load_s = float(loaded.group(1)) if loaded else time.monotonic() - started
        while True:  # the search index is built beside the server: /readyz says when
            if process.poll() is not None:
                raise engines.EngineFailed(f"plangraph exited:\n{log.read_text()[-2000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(url + "/readyz", timeout=5) as response,
            ):
                if response.status == 200:
                    break
            time.sleep(0.5)
        ready_s = time.monotonic() - started
        if over is None:
            yield Running(
                "plangraph",
                url + "/sparql",
                process.pid,
                load_s,
                ready_s,
                0,
                f"in-process pyoxigraph, in memory (plangraph serve --data){settings}",
            )
        else:
            yield Running(
                f"plangraph-{over.name}",
                url + "/sparql",
                process.pid,
                over.load_s,
                over.ready_s + ready_s,
                over.disk_bytes,
                f"plangraph serve --sparql-endpoint{settings}, in front of: {over.how}; "
                "memory: plangraph's processes only",
            )
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def _over(  # type: ignore[no-untyped-def]
    engine: contextlib.AbstractContextManager[Running],
    corpus: Path,
    workdir: Path,
    extra: tuple[str, ...],
):
    with engine as running, run_plangraph(corpus, workdir, over=running, extra=extra) as front:
        yield front


def _wait_for(log: Path, process: subprocess.Popen[bytes], text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text(errors="replace") if log.exists() else ""
        if text in content:
            return content
        if process.poll() is not None:
            raise engines.EngineFailed(f"exited early:\n{content[-2000:]}")
        time.sleep(0.2)
    raise engines.EngineFailed(f"no {text!r} within {timeout:g} s")


@contextlib.contextmanager
def run_oxigraph(nquads: Path, workdir: Path) -> Iterator[Running]:
    started = time.monotonic()
    engine = engines.start_oxigraph(workdir, timeout_s=QUERY_TIMEOUT, union_default_graph=True)
    try:
        load_started = time.monotonic()
        with nquads.open("rb") as body:
            request = urllib.request.Request(
                engine.graph_store_url or "",
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/n-quads",
                    "Content-Length": str(nquads.stat().st_size),
                },
            )
            with urllib.request.urlopen(request, timeout=3600) as response:
                response.read()
        load_s = time.monotonic() - load_started
        yield Running(
            "oxigraph",
            engine.query_url,
            engine.pid,
            load_s,
            time.monotonic() - started,
            0,
            f"oxigraph serve {_version(['oxigraph', '--version'])}, in memory, "
            "N-Quads POSTed to /store",
        )
    finally:
        engines.stop(engine)


@contextlib.contextmanager
def run_virtuoso(nquads: Path, workdir: Path, memory_gb: float) -> Iterator[Running]:
    started = time.monotonic()
    engine = engines.start_virtuoso(
        workdir,
        max_rows=MAX_ROWS,
        max_seconds=QUERY_TIMEOUT,
        memory_gb=memory_gb,
        grant_update=False,
    )
    try:
        db = workdir / "virtuoso-db"
        staged = db / "load" / nquads.name  # a folder in DirsAllowed
        staged.parent.mkdir(exist_ok=True)
        try:
            os.link(nquads, staged)
        except OSError:
            shutil.copyfile(nquads, staged)
        sql_port = engine.sql_port  # type: ignore[attr-defined]
        load_started = time.monotonic()
        engines.virtuoso_sql(
            sql_port, f"ld_dir('{staged.parent}', '{nquads.name}', '{BASE}graph/default');"
        )
        engines.virtuoso_sql(sql_port, "rdf_loader_run();", timeout=7200)
        engines.virtuoso_sql(sql_port, "checkpoint;", timeout=1800)
        load_s = time.monotonic() - load_started
        staged.unlink()
        yield Running(
            "virtuoso",
            engine.query_url,
            engine.pid,
            load_s,
            time.monotonic() - started,
            folder_bytes(db),
            f"Virtuoso Open Source {_version(['virtuoso-t', '-?'])}, on disk, "
            f"ld_dir + rdf_loader_run(), {memory_gb:g} GB of buffers",
        )
    finally:
        engines.stop(engine)


def _version(argv: list[str]) -> str:
    exe = shutil.which(argv[0]) or str(engines.BIN / argv[0])
    try:
        done = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=20)
    except OSError:
        return "?"
    text = done.stdout + done.stderr
    match = re.search(r"(\d+\.\d+\.\d+)", text)
    return match.group(1) if match else "?"


# --- one run ---------------------------------------------------------------------------------


@dataclass
class Result:
    engine: str
    scale: str
    how: str = ""
    load_s: float = 0.0
    ready_s: float = 0.0
    pss_mib: float = 0.0
    main_rss_mib: float = 0.0
    main_peak_mib: float = 0.0
    disk_mib: float = 0.0
    latencies: dict[str, Latency] = field(default_factory=dict)
    throughput: list[Throughput] = field(default_factory=list)
    failed: str = ""


def prepare(scale: str, say: Callable[[str], None], reuse: bool) -> tuple[Path, Path, list[str]]:
    """The corpus folder, its N-Quads export and its edition IRIs."""
    folder = OUT / scale
    corpus, nquads = folder / "corpus", folder / "corpus.nq"
    marker = folder / "editions"
    editions = SCALES[scale]
    if not (reuse and marker.exists() and marker.read_text() == str(editions) and nquads.exists()):
        started = time.monotonic()
        generate(editions, corpus)
        subprocess.run(
            [*PLANGRAPH, "export", "--format", "nquads", "-o", str(nquads), "--data", str(corpus)],
            check=True,
            cwd=REPO,
        )
        marker.write_text(str(editions))
        say(f"  corpus written and exported in {time.monotonic() - started:.0f} s")
    quads = _count_lines(nquads)
    names = sorted(p.stem for p in (corpus / "editions").glob("*.ttl"))
    say(
        f"  {scale}: {editions} synthetic editions, {quads:,} quads (shortcuts included); "
        f"Turtle {folder_bytes(corpus) / 2**20:,.0f} MiB, "
        f"N-Quads {nquads.stat().st_size / 2**20:,.0f} MiB"
    )
    return corpus, nquads, [f"{BASE}edition/{n}" for n in names]


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def bench_engine(
    name: str,
    scale: str,
    corpus: Path,
    nquads: Path,
    editions: list[str],
    args: argparse.Namespace,
    say: Callable[[str], None],
    before: Result | None = None,
) -> Result:
    """One engine at one scale; `before` is the same engine at the smaller scale."""
    result = Result(name, scale)
    skip = {}
    if before is not None:
        for q, lat in before.latencies.items():
            if isinstance(lat.rows, str):
                skip[q] = f"skipped: {lat.rows[:12]} before"
            elif lat.median is not None and lat.median > SKIP_AFTER_MS:
                skip[q] = f"skipped: {lat.median / 1000:.0f} s before"
    workdir = OUT / scale / f"run-{name}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    memory_gb = 2.0 if scale == "1M" else 4.0
    extra = tuple(shlex.split(args.serve_args))
    starters = {
        "plangraph": lambda: run_plangraph(corpus, workdir, extra=extra),
        "oxigraph": lambda: run_oxigraph(nquads, workdir),
        "virtuoso": lambda: run_virtuoso(nquads, workdir, memory_gb),
        "plangraph-oxigraph": lambda: _over(run_oxigraph(nquads, workdir), corpus, workdir, extra),
        "plangraph-virtuoso": lambda: _over(
            run_virtuoso(nquads, workdir, memory_gb), corpus, workdir, extra
        ),
    }
    say(f"  {name} at {scale}: starting and loading …")
    try:
        with starters[name]() as running:
            result.how = running.how
            result.load_s, result.ready_s = running.load_s, running.ready_s
            result.disk_mib = running.disk_bytes / 2**20
            say(f"    loaded in {running.load_s:.1f} s, answering in {running.ready_s:.1f} s")
            queries = load_queries(editions[len(editions) // 2])
            result.latencies = measure_queries(running.endpoint, queries, args.repeats, skip)
            say(f"    {len(queries)} queries measured")
            result.pss_mib = tree_pss_kib(running.pid) / 1024
            result.main_rss_mib = status_kib(running.pid, "VmRSS") / 1024
            result.main_peak_mib = status_kib(running.pid, "VmHWM") / 1024
            pick = mix(editions)
            for clients in CLIENTS:
                t = measure_throughput(running.endpoint, pick, clients, args.seconds)
                result.throughput.append(t)
                say(
                    f"    {clients} clients: {t.per_second:.0f}/s, {t.errors} errors"
                    + (f" (first: {t.first_error})" if t.first_error else "")
                )
            result.pss_mib = max(result.pss_mib, tree_pss_kib(running.pid) / 1024)
            result.main_peak_mib = status_kib(running.pid, "VmHWM") / 1024
    except (engines.EngineFailed, engines.EngineMissing, OSError) as err:
        result.failed = str(err).splitlines()[0][:300]
        say(f"    FAILED: {result.failed}")
    shutil.rmtree(workdir, ignore_errors=True)
    return result


# --- printing --------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "—" if value is None else (f"{value:.1f}" if value < 100 else f"{value:.0f}")


def _grow(small: float | None, large: float | None) -> str:
    if not small or large is None:
        return "—"
    return f"{large / small:.1f}x"


def report(results: list[Result], scales: list[str], say: Callable[[str], None]) -> None:
    names = [e for e in ENGINES if any(r.engine == e for r in results)]
    by = {(r.engine, r.scale): r for r in results}
    say("")
    say("== Load and memory ==")
    say(
        f"{'engine':<18} {'scale':<5} {'load s':>8} {'ready s':>8} {'tree PSS MiB':>13} "
        f"{'main RSS MiB':>13} {'main peak MiB':>14} {'disk MiB':>9}"
    )
    for name in names:
        for scale in scales:
            r = by.get((name, scale))
            if r is None:
                continue
            if r.failed:
                say(f"{name:<18} {scale:<5} FAILED: {r.failed}")
                continue
            say(
                f"{name:<18} {scale:<5} {r.load_s:>8.1f} {r.ready_s:>8.1f} {r.pss_mib:>13,.0f} "
                f"{r.main_rss_mib:>13,.0f} {r.main_peak_mib:>14,.0f} {r.disk_mib:>9,.0f}"
            )
    for name in names:
        r = next((by[(name, s)] for s in scales if (name, s) in by), None)
        if r is not None and r.how:
            say(f"  {name}: {r.how}")
    say("")
    say("== Query latency (ms): median / p95; rows; growth of the median from 1M to 10M ==")
    query_names: list[str] = []
    for r in results:
        for q in r.latencies:
            if q not in query_names:
                query_names.append(q)
    header = f"{'query':<32}"
    for name in names:
        for scale in scales:
            header += f" {name + ' ' + scale:>24}"
        if len(scales) == 2:
            header += f" {'x':>6}"
    say(header)
    for q in query_names:
        line = f"{q:<32}"
        for name in names:
            cells = []
            for scale in scales:
                lat = by.get((name, scale), Result(name, scale)).latencies.get(q)
                if lat is None:
                    cell = "—"
                elif isinstance(lat.rows, str):
                    cell = lat.rows[:20]
                else:
                    cell = f"{_ms(lat.median)}/{_ms(lat.p95)} ({lat.rows})"
                cells.append(cell)
                line += f" {cell:>24}"
            if len(scales) == 2:
                small = by.get((name, scales[0]), Result(name, scales[0])).latencies.get(q)
                large = by.get((name, scales[1]), Result(name, scales[1])).latencies.get(q)
                line += (
                    f" {_grow(small.median if small else None, large.median if large else None):>6}"
                )
        say(line)
    say("")
    say("== Throughput: page-like mix, concurrent clients (requests/s, median/p95 ms, errors) ==")
    for name in names:
        for scale in scales:
            r = by.get((name, scale))
            if r is None or r.failed:
                continue
            cells = [
                f"{t.clients:>2} clients {t.per_second:>6.0f}/s "
                f"{_ms(t.median_ms)}/{_ms(t.p95_ms)} ms {t.errors} err"
                for t in r.throughput
            ]
            say(f"{name:<18} {scale:<4} " + " | ".join(cells))
    if len(scales) == 2:
        say("")
        say("== Growth from 1M to 10M ==")
        for name in names:
            small, large = by.get((name, scales[0])), by.get((name, scales[1]))
            if not small or not large or small.failed or large.failed:
                continue
            tp = [
                f"{a.clients} clients {_grow(a.per_second, b.per_second)}"
                for a, b in zip(small.throughput, large.throughput, strict=False)
            ]
            say(
                f"{name:<10} load {_grow(small.load_s, large.load_s)}, memory "
                f"{_grow(small.pss_mib, large.pss_mib)}, "
                f"disk {_grow(small.disk_mib, large.disk_mib)}, throughput {', '.join(tp)}"
            )
    goals(by, scales, say)


def goals(by: dict[tuple[str, str], Result], scales: list[str], say: Callable[[str], None]) -> None:
    """The goals of issue 15 for plangraph in-process, each met or not."""
    big = "10M" if "10M" in scales else scales[-1]
    r = by.get(("plangraph", big))
    if r is None or r.failed:
        return
    say("")
    say(f"== Goals (plangraph in-process, {big}) ==")
    if big == "10M":
        say(f"load under 90 s: {r.load_s:.1f} s — {'met' if r.load_s < 90 else 'NOT met'}")
        say(
            f"resident under 8 GiB: main peak {r.main_peak_mib / 1024:.2f} GiB, tree PSS "
            f"{r.pss_mib / 1024:.2f} GiB — "
            f"{'met' if max(r.main_peak_mib, r.pss_mib) < 8192 else 'NOT met'}"
        )
    small = by.get(("plangraph", "1M"))
    if small is not None and big == "10M" and not small.failed:
        worst, worst_name = 0.0, ""
        for q, lat in small.latencies.items():
            large = r.latencies.get(q)
            if lat.median is None or lat.median < SLOW_MS or large is None or large.median is None:
                continue
            if large.median / lat.median > worst:
                worst, worst_name = large.median / lat.median, q
        say(
            f"heavy queries (>= {SLOW_MS:g} ms at 1M) within 12x at 10M: worst {worst:.1f}x "
            f"({worst_name}) — {'met' if worst <= 12 else 'NOT met'}"
        )
    ask = r.latencies.get("probe/ask")
    errors = sum(t.errors for t in r.throughput if t.clients == 64)
    say(
        f"64 concurrent clients without errors: {errors} errors — "
        f"{'met' if not errors else 'NOT met'}"
    )
    if ask and ask.median is not None:
        say(
            f"ASK {{}} median under 1.0 ms: {_ms(ask.median)} ms over {len(ask.times_ms)} "
            f"requests — {'met' if ask.median < 1.0 else 'NOT met'}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scales", default="1M,10M", help="comma-separated, of " + ", ".join(SCALES)
    )
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES[:3]),
        help="comma-separated, of " + ", ".join(ENGINES) + f" (default {','.join(ENGINES[:3])})",
    )
    parser.add_argument("--repeats", type=int, default=11, help="timed runs of each query")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="length of each throughput level"
    )
    parser.add_argument("--reuse", action="store_true", help="keep corpora already written")
    parser.add_argument(
        "--serve-args",
        default="",
        help='options added to `plangraph serve`, e.g. "--workers 1" (printed with the results)',
    )
    parser.add_argument("--name", default="", help="added to the printout's file name")
    args = parser.parse_args(argv)
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    names = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not scales or any(s not in SCALES for s in scales):
        parser.error(f"--scales takes {', '.join(SCALES)}")
    if not names or any(e not in ENGINES for e in names):
        parser.error(f"--engines takes {', '.join(ENGINES)}")
    if not 1 <= args.repeats <= 100 or not 1 <= args.seconds <= 120:
        parser.error("--repeats 1..100, --seconds 1..120 (bounded loops)")
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    say(
        f"scale_bench {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: "
        f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at start; clients on the same machine"
    )
    say(
        f"repeats {args.repeats} per query (3 for queries over 2 s, 1 over 10 s), throughput "
        f"{args.seconds:g} s per level, loopback only, engines one at a time"
    )
    results: list[Result] = []
    for scale in scales:
        corpus, nquads, editions = prepare(scale, say, args.reuse)
        for name in names:
            before = next((r for r in results if r.engine == name and not r.failed), None)
            results.append(bench_engine(name, scale, corpus, nquads, editions, args, say, before))
    report(results, scales, say)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = (
        "" if names == list(ENGINES[:3]) and len(scales) == 2 else "-" + "-".join(names + scales)
    )
    if args.name:
        suffix += "-" + re.sub(r"[^\w.-]+", "-", args.name)
    out = RESULTS / f"scale-{dt.date.today():%Y-%m-%d}{suffix}.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"(saved to {out.relative_to(REPO)})")
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
