"""Other SPARQL engines started on loopback for the tests and benchmarks: Oxigraph's server
(in memory or on RocksDB) and Virtuoso Open Source, each in its own process group, stopped after.

One home for this, so the backend tests (tests/), the scale benchmark and the SPARQL benchmark
start the peers the same way. Nothing here listens beyond 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent


class EngineMissing(RuntimeError):
    """The engine's program is not installed (tests skip with this reason)."""


class EngineFailed(RuntimeError):
    """The engine would not start or load (its log's tail is in the message)."""


@dataclass
class Engine:
    """A running engine: where to ask it, and what to stop."""

    name: str
    query_url: str  # SPARQL 1.1 Protocol query endpoint
    update_url: str | None
    graph_store_url: str | None  # SPARQL 1.1 Graph Store HTTP Protocol endpoint
    process: subprocess.Popen[bytes]
    log: Path
    workdir: Path
    started: float = field(default_factory=time.monotonic)
    ready_after: float = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid


# free_port() closes the port it found, and Virtuoso binds seconds later: in between, a client
# socket of anything else on the machine may have been given it. Such a start is tried again.
PORT_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def oxigraph_exe() -> str:
    exe = BIN / "oxigraph"
    found = str(exe) if exe.exists() else shutil.which("oxigraph")
    if not found:
        raise EngineMissing("the oxigraph command is missing: pip install oxigraph")
    return found


def virtuoso_exe() -> str:
    found = shutil.which("virtuoso-t")
    if not found:
        raise EngineMissing(
            "virtuoso-t is missing: apt-get install virtuoso-opensource (make system-deps)"
        )
    return found


def start_oxigraph(
    workdir: Path,
    *,
    location: Path | None = None,
    timeout_s: int | None = None,
    union_default_graph: bool = False,
) -> Engine:
    """`oxigraph serve`: in memory unless `location` is given; read-write, so it can be loaded
    over its Graph Store endpoint (/store) and updated over /update. `union_default_graph`:
    queries see the union of all graphs as their default graph, as plangraph's do."""
    port = free_port()
    argv = [oxigraph_exe(), "serve", "--bind", f"127.0.0.1:{port}"]
    if location is not None:
        argv += ["--location", str(location)]
    if union_default_graph:
        argv += ["--union-default-graph"]
    if timeout_s:
        argv += ["--timeout-s", str(timeout_s)]
    base = f"http://127.0.0.1:{port}"
    engine = _spawn(
        "oxigraph" if location is None else "oxigraph-rocksdb",
        argv,
        workdir,
        query_url=f"{base}/query",
        update_url=f"{base}/update",
        graph_store_url=f"{base}/store",
    )
    return _ready(engine, timeout=60)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 100
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
SchedulerInterval = 10
DirsAllowed = ., {db}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 64
MaxQueryMem = 2G
VectorSize = 1000
MaxVectorSize = 1000000
AdjustVectorSize = 0
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 10
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
MaxClientConnections = 100
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
ServerThreads = 100
MaxKeepAlives = 100
KeepAliveTimeout = 10
MaxCachedProxyConnections = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = {max_seconds}
DefaultGraph = http://localhost:{http_port}/dataspace
"""


def start_virtuoso(
    workdir: Path,
    *,
    max_rows: int = 10000,
    max_seconds: int = 60,
    memory_gb: float = 2.0,
    grant_update: bool = True,
) -> Engine:
    """`virtuoso-t +foreground` with a generated configuration bound to 127.0.0.1 only.

    `max_rows` is Virtuoso's own silent result cap (ResultSetMaxRows, 10,000 as Debian ships
    it); `grant_update` lets the anonymous SPARQL user update, as loading over /sparql needs."""
    exe = virtuoso_exe()
    db = workdir / "virtuoso-db"
    db.mkdir(parents=True, exist_ok=True)
    buffers = max(10000, int(memory_gb * 1024**3 * 0.66 / 8000))
    ini = db / "virtuoso.ini"
    for attempt in range(PORT_ATTEMPTS):
        sql_port, http_port = free_port(), free_port()
        ini.write_text(
            VIRTUOSO_INI.format(
                db=db,
                sql_port=sql_port,
                http_port=http_port,
                max_rows=max_rows,
                max_seconds=max_seconds,
                buffers=buffers,
                dirty=buffers * 3 // 4,
            )
        )
        base = f"http://127.0.0.1:{http_port}"
        engine = _spawn(
            "virtuoso",
            [exe, "+foreground", "+configfile", str(ini)],
            workdir,
            query_url=f"{base}/sparql",
            update_url=f"{base}/sparql",
            graph_store_url=f"{base}/sparql-graph-crud",
        )
        try:
            engine = _ready(engine, timeout=180)
            break
        except EngineFailed as err:
            port_taken = "Failed HTTP listen" in str(err) or "Failed SQL listen" in str(err)
            if attempt == PORT_ATTEMPTS - 1 or not port_taken:
                raise
    if grant_update:
        virtuoso_sql(sql_port, 'GRANT SPARQL_UPDATE TO "SPARQL";')
        # The Graph Store endpoint needs SPARQL_UPDATE too; DB.DBA.SPARQL_INSERT_DICT_CONTENT
        # is what INSERT DATA runs as the anonymous user.
        virtuoso_sql(sql_port, 'GRANT EXECUTE ON DB.DBA.SPARQL_INSERT_DICT_CONTENT TO "SPARQL";')
    engine.sql_port = sql_port  # type: ignore[attr-defined]
    return engine


def virtuoso_sql(sql_port: int, statement: str, timeout: float = 120) -> str:
    """Run one SQL statement as dba through isql (the default dba password of a new database)."""
    isql = shutil.which("isql-vt") or shutil.which("isql")
    if not isql:
        raise EngineMissing("isql-vt is missing: apt-get install virtuoso-opensource")
    done = subprocess.run(
        [isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={statement}"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
        raise EngineFailed(f"isql {statement!r}: {(done.stdout + done.stderr).strip()[-500:]}")
    return done.stdout


def load_graph_store(engine: Engine, data: bytes, media_type: str, graph: str | None) -> None:
    """PUT/POST one graph's data over the engine's Graph Store endpoint (N-Quads: whole dataset,
    on Oxigraph only)."""
    if engine.graph_store_url is None:
        raise EngineFailed(f"{engine.name} has no Graph Store endpoint")
    url = engine.graph_store_url
    if graph is not None:
        url += "?" + urllib.parse.urlencode({"graph": graph})
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": media_type}
    )
    with urllib.request.urlopen(request, timeout=1800) as response:
        response.read()


def stop(engine: Engine) -> None:
    """SIGTERM to its process group (a clean shutdown), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        if engine.process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(engine.process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            engine.process.wait(timeout=wait)


@contextlib.contextmanager
def running(kind: str, **options: object) -> Iterator[Engine]:
    """An engine for the length of a `with` block, in a temporary folder removed after."""
    starters = {"oxigraph": start_oxigraph, "virtuoso": start_virtuoso}
    with tempfile.TemporaryDirectory(prefix=f"plangraph-{kind}-") as tmp:
        engine = starters[kind](Path(tmp), **options)  # type: ignore[operator]
        try:
            yield engine
        finally:
            stop(engine)


def resident_kib(pid: int) -> int:
    """Resident memory of a process and its children, in KiB (from /proc)."""
    total = 0
    for p in [pid, *_descendants(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += [int(child), *_descendants(int(child))]
    return found


def _spawn(
    name: str,
    argv: list[str],
    workdir: Path,
    *,
    query_url: str,
    update_url: str | None,
    graph_store_url: str | None,
) -> Engine:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    process = subprocess.Popen(
        argv,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=workdir,
        start_new_session=True,  # its own process group: stopping it stops its children too
    )
    return Engine(name, query_url, update_url, graph_store_url, process, log, workdir)


def _ready(engine: Engine, timeout: float) -> Engine:
    """Poll with ASK {} until the engine answers 200; fail if it exits or takes too long."""
    deadline = engine.started + timeout
    url = engine.query_url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    while time.monotonic() < deadline:
        if engine.process.poll() is not None:
            raise EngineFailed(f"{engine.name} exited early:\n{_tail(engine.log)}")
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=5) as response:
            if response.status == 200:
                engine.ready_after = time.monotonic() - engine.started
                return engine
        time.sleep(0.2)
    stop(engine)
    raise EngineFailed(f"{engine.name} did not answer within {timeout:g} s:\n{_tail(engine.log)}")


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
