"""Shared fixtures: real servers on free loopback ports, started as users start them."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SOURCES = REPO / "graph" / "sources"
PLANGRAPH = [sys.executable, "-m", "plangraph.cli"]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"


ServerFactory = Callable[..., Server]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    *args: str, log_dir: Path, env: dict[str, str] | None = None, cwd: Path = REPO
) -> Server:
    """Start `plangraph serve` with extra arguments and wait until it answers."""
    port = free_port()
    log = log_dir / f"server-{port}.log"
    process = subprocess.Popen(
        [*PLANGRAPH, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url, process, log)
    except BaseException:
        process.kill()  # never leave a half-started server behind
        raise
    return Server(url, process, log)


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            requests.get(url + "/sparql", params={"query": "ASK {}"}, timeout=2)
            return
        except (requests.ConnectionError, requests.ReadTimeout):
            time.sleep(0.1)
    raise RuntimeError(f"server did not answer within 60 s:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Start extra servers (own data, limits, tokens); all are stopped at the end."""
    started: list[Server] = []
    log_dir = tmp_path_factory.mktemp("servers")

    def factory(*args: str, env: dict[str, str] | None = None) -> Server:
        server = start_server(*args, log_dir=log_dir, env=env)
        started.append(server)
        return server

    yield factory
    for server in started:
        stop_server(server)


@pytest.fixture(scope="session")
def live_server(server_factory: Callable[..., Server]) -> Server:
    """The server on the shipped ontology and graph, as `make serve` runs it."""
    return server_factory()


@pytest.fixture(scope="session")
def mini_server(server_factory: Callable[..., Server]) -> Server:
    """A server on the small fixture graph in tests/data/mini."""
    return server_factory("--data", str(DATA / "mini"))


@pytest.fixture(scope="session")
def script_server(server_factory: Callable[..., Server]) -> Server:
    """The mini graph plus labels and text that look like markup (tests/data/script-label)."""
    return server_factory(
        "--data", str(REPO / "ontology"), str(DATA / "mini"), str(DATA / "script-label")
    )


# --- the processes of a running server (read from /proc) ---------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_of(server: Server) -> list[int]:
    """Query workers: the children of the zygote, the main process's child that has children."""
    return [w for child in children(server.process.pid) for w in children(child)]


# --- the same service over other SPARQL engines (plangraph/remote.py, tests/test_remote_*.py) ---

BACKENDS = ("inproc", "oxigraph", "virtuoso")


@pytest.fixture(scope="session")
def engine_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., object]]:
    """Start Oxigraph's server or Virtuoso on loopback (bench/engines.py), loaded with
    `plangraph load --to`; one of each kind and options per session, all stopped at the end.
    Skips with the installer's reason where the program is missing."""
    from bench import engines

    started: dict[tuple[object, ...], engines.Engine] = {}

    def factory(kind: str, *, load: bool = True, **options: object) -> engines.Engine:
        if kind == "virtuoso":  # the test data is small: a small buffer pool per instance
            options.setdefault("memory_gb", 0.5)
        key = (kind, load, *sorted(options.items()))
        if key not in started:
            starter = {"oxigraph": engines.start_oxigraph, "virtuoso": engines.start_virtuoso}
            try:
                engine = starter[kind](tmp_path_factory.mktemp(kind), **options)  # type: ignore[operator]
            except engines.EngineMissing as err:
                pytest.skip(f"{kind} cannot be started here: {err}")
            started[key] = engine
            if load:
                done = subprocess.run(
                    [*PLANGRAPH, *load_arguments(engine)],
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                assert done.returncode == 0, done.stderr
        return started[key]

    yield factory
    for engine in started.values():
        engines.stop(engine)


def load_arguments(engine: object) -> list[str]:
    """`plangraph load` into an engine: Oxigraph by its Graph Store endpoint, Virtuoso by
    INSERT DATA batches (its Graph Store endpoint needs a login), so both paths run."""
    args = ["load", "--to", engine.query_url, "--update-endpoint", engine.update_url]  # type: ignore[attr-defined]
    if engine.name.startswith("oxigraph"):  # type: ignore[attr-defined]
        args += ["--graph-store", engine.graph_store_url]  # type: ignore[attr-defined]
    return args


@pytest.fixture(scope="session", params=BACKENDS)
def backend_server(
    request: pytest.FixtureRequest,
    live_server: Server,
    server_factory: ServerFactory,
    engine_factory: Callable[..., object],
) -> Server:
    """`plangraph serve` over each backend: in-process, Oxigraph's server, Virtuoso."""
    if request.param == "inproc":
        return live_server
    engine = engine_factory(request.param)
    return server_factory("--sparql-endpoint", engine.query_url)  # type: ignore[attr-defined]
