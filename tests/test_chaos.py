"""Chaos, bounded and quick: a worker killed mid-query, a full disk under --store, the load script.

Each test starts a real server on a loopback port and breaks something under it the way the
world does (SIGKILL, ENOSPC); the server must answer with a clear error and go on serving.
No timing is asserted: bench/chaos_bench.py measures and prints, tests only check behaviour.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import DATA, REPO, Server, cpu_seconds, stop_server, workers_of

MINI = str(DATA / "mini")
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
# Billions of rows counted one by one: CPU for minutes, memory flat (no ORDER BY to materialise).
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JSON = {"Accept": "application/sparql-results+json"}


def count(server: Server) -> int:
    response = requests.get(server.sparql, params={"query": COUNT}, headers=JSON, timeout=30)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def assert_one_clean_line(response: requests.Response) -> None:
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.count("\n") == 1 and response.text.endswith("\n"), response.text
    assert "Traceback" not in response.text


# --- a worker killed mid-query ---------------------------------------------------------------


def test_a_worker_killed_mid_query_gives_a_clean_503_and_the_next_query_works(
    server_factory: Callable[..., Server],
) -> None:
    server = server_factory("--workers", "1", "--query-timeout", "60")  # the shipped graph
    before = count(server)
    answer: dict[str, requests.Response] = {}

    def ask() -> None:
        answer["slow"] = requests.get(
            server.sparql, params={"query": ENDLESS}, headers=JSON, timeout=90
        )

    thread = threading.Thread(target=ask)
    thread.start()
    deadline = time.monotonic() + 20
    busy: list[int] = []
    while time.monotonic() < deadline and not busy:  # the worker that is burning CPU on it
        busy = [w for w in workers_of(server) if cpu_seconds(w) > 0.3]
        time.sleep(0.05)
    assert busy, "no worker picked up the query"
    os.kill(busy[0], signal.SIGKILL)
    thread.join(60)
    response = answer["slow"]
    assert response.status_code == 503, response.text  # errors.WorkerStopped, not a bare 500
    assert_one_clean_line(response)
    assert count(server) == before  # a new worker took its place
    deadline = time.monotonic() + 10  # a killed worker at low CPU priority may take a moment to go
    while busy[0] in workers_of(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert busy[0] not in workers_of(server)


# --- a full disk under --store -----------------------------------------------------------------


def _run(*argv: str) -> bool:
    return subprocess.run(argv, capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB file system: a tmpfs, else an ext4 loop file, else a loud skip."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("SKIPPED LOUDLY: a full-disk test needs root to mount a small file system")
    if not _run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)):
        image = tmp_path / "disk.img"
        with image.open("wb") as out:
            out.truncate(16 * 2**20)
        if not (
            shutil.which("mkfs.ext4")
            and _run("mkfs.ext4", "-q", "-F", str(image))
            and _run("mount", "-o", "loop", str(image), str(mount))
        ):
            pytest.skip(
                "SKIPPED LOUDLY: neither a tmpfs nor a loop file system could be mounted here "
                "(a container without CAP_SYS_ADMIN?); the full-disk case is untested"
            )
    try:
        yield mount
    finally:
        if not _run("umount", str(mount)):
            _run("umount", "-l", str(mount))


def fill(folder: Path, leave: int = 64 * 1024) -> None:
    """Write zeros until the file system is full, then free `leave` bytes: a longer write
    gets that far and fails (a torn write), as on a real disk that fills up mid-write."""
    block = b"\0" * 2**20
    filler = folder / "filler"
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as out:
        while True:
            out.write(block)
    os.truncate(filler, filler.stat().st_size - leave)


def insert(server: Server, literal: str) -> requests.Response:
    return requests.post(
        server.sparql,
        data=f"INSERT DATA {{ GRAPH <https://example.org/g> {{ <https://example.org/s> "
        f'<https://example.org/p> "{literal}" }} }}'.encode(),
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer chaos"},
        timeout=60,
    )


def test_a_full_disk_under_store_gives_a_clear_error_and_reads_go_on(
    server_factory: Callable[..., Server], small_disk: Path
) -> None:
    args = ("--data", MINI, "--store", str(small_disk / "store"), "--write-token", "chaos")
    server = server_factory(*args)
    # the mini graph: 35 triples in its files, 2 shortcut triples the load step writes
    assert count(server) == 37
    fill(small_disk)
    response = insert(server, "x" * 200_000)  # a journal line longer than the space left
    assert response.status_code == 507, response.text
    assert_one_clean_line(response)
    assert "No space left on device" in response.text or "disk is full" in response.text
    assert count(server) == 37  # reads go on, and nothing half-written shows
    # Space freed, restarted (twice: the second reopens the store as it is): the refused update
    # never appears, the next one is kept for good.
    stop_server(server)
    (small_disk / "filler").unlink()
    server = server_factory(*args)
    assert count(server) == 37
    assert insert(server, "after the disk was full").status_code == 204
    assert count(server) == 38
    stop_server(server)
    server = server_factory(*args)
    assert count(server) == 38


# --- the load script, as a smoke test ----------------------------------------------------------


def test_the_chaos_bench_runs_and_prints_its_figures() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "chaos_bench.py"),
            "--seconds",
            "3",
            "--clients",
            "8",
            "--no-save",
            "--data",
            MINI,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    for needle in ("p50", "p99", "under attack", "errors by kind", "peak RSS", "main", "worker"):
        assert needle in result.stdout, result.stdout
