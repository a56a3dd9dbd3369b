"""Workers that came to hold too much memory of their own are replaced (--worker-recycle).

A forked worker shares its zygote's in-memory store, but a query that only reads it still
writes to some of its pages, which become the worker's own copies; over a large store every
worker slowly becomes a full copy. With its answer to a job, a worker holding more than the
limit says it is leaving; the server kills it and has the zygote fork a fresh one at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from plangraph import heap
from tests.conftest import Server, workers_of

JSON = {"Accept": "application/sparql-results+json"}
# Enough work (>= 20 ms of CPU) for a worker to look at its memory afterwards.
HEAVY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 60000"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def ask(server: Server, query: str) -> requests.Response:
    response = requests.post(
        server.sparql,
        data=query.encode(),
        headers={**JSON, "Content-Type": "application/sparql-query"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response


def settled_workers(server: Server, count: int) -> set[int]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        workers = set(workers_of(server))
        if len(workers) == count:
            return workers
        time.sleep(0.05)
    raise AssertionError(f"expected {count} workers, found {workers_of(server)}")


def test_a_worker_over_the_limit_is_replaced_and_no_query_fails(
    server_factory: Callable[..., Server],
) -> None:
    # 1 MiB: every worker holds more than that once it has worked, so each heavy job retires one
    server = server_factory("--workers", "1", "--fast-lane", "0", "--worker-recycle", "1")
    before = settled_workers(server, 1)
    rows = len(ask(server, HEAVY).json()["results"]["bindings"])
    assert rows == 60000
    after = settled_workers(server, 1)  # replaced at once, not when the next job comes
    assert after.isdisjoint(before)
    for _ in range(3):  # each goes to a fresh worker; none is lost on the way
        assert len(ask(server, HEAVY).json()["results"]["bindings"]) == rows
    assert int(ask(server, COUNT).json()["results"]["bindings"][0]["n"]["value"]) > 0
    assert settled_workers(server, 1).isdisjoint(after)


def test_without_recycling_the_same_worker_serves_every_job(
    server_factory: Callable[..., Server],
) -> None:
    server = server_factory("--workers", "1", "--fast-lane", "0", "--worker-recycle", "0")
    before = settled_workers(server, 1)
    for _ in range(3):
        ask(server, HEAVY)
    assert settled_workers(server, 1) == before


def test_private_memory_counts_pages_written_after_a_fork() -> None:
    import os

    before = heap.private_bytes()
    block = bytearray(64 * 1024 * 1024)  # written (zeroed) pages of this process alone
    assert heap.private_bytes() - before >= 60 * 1024 * 1024
    pid = os.fork()
    if pid == 0:  # the child shares the block until it writes to it
        shared = heap.private_bytes()
        block[::4096] = b"x" * len(block[::4096])
        os._exit(0 if heap.private_bytes() - shared >= 60 * 1024 * 1024 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    del block


TRIM_SCRIPT = """
from plangraph import heap
trimmer = heap.Trimmer(above=16 * 1024 * 1024)
chunks = [bytes(64 * 1024) + bytes([i % 256]) for i in range(1024)]  # 64 MiB in small blocks
keep = chunks[::64]  # a few survivors pin the heap's top: only a trim returns the rest
del chunks
grown = heap.resident_bytes()
trimmer.after_job()
returned = grown - heap.resident_bytes()
assert returned > 32 * 1024 * 1024, returned
assert trimmer.baseline <= heap.resident_bytes() + 1024 * 1024
"""


def test_a_trim_hands_freed_memory_back_and_is_not_repeated_for_nothing() -> None:
    """In a fresh interpreter, as a worker is: a long-lived test process's heap is whatever
    earlier tests left of it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", TRIM_SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def _private_mib(pid: int) -> float:
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total / 1024


def _settled_private(server: Server, count: int) -> list[float]:
    """Each worker's own memory once it has stopped growing (warm-up and index build over),
    least first."""
    workers = settled_workers(server, count)
    last: list[float] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = sorted(_private_mib(worker) for worker in workers)
        if now == last:
            return now
        last = now
        time.sleep(0.5)
    return last


def test_a_fresh_worker_reads_the_store_before_any_query_unless_told_not_to(
    server_factory: Callable[..., Server], tmp_path_factory
) -> None:
    """Two workers each: one of them builds the search index, which reads the store (so the
    index is not built in the server's process, see api/search.py); the other stays cold
    unless workers warm up."""
    from bench.synthetic import generate

    corpus = tmp_path_factory.mktemp("warm") / "corpus"
    generate(30, corpus)  # ~85,000 quads: a store of tens of MiB
    options = ("--data", str(corpus), "--workers", "2", "--fast-lane", "0")
    warm = server_factory(*options)
    cold = server_factory(*options, env={"PLANGRAPH_WARM_WORKERS": "0"})
    copied, kept = _settled_private(warm, 2)[0], _settled_private(cold, 2)[0]
    assert copied - kept > 8, (copied, kept)  # each warm worker holds its copy of the store
    # and a query on a warm one copies little more: its pages are the worker's already
    workers = settled_workers(warm, 2)
    before = {worker: _private_mib(worker) for worker in workers}
    ask(warm, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?s a ?type }")
    grown = max(_private_mib(worker) - before[worker] for worker in workers)
    assert grown < (copied - kept) / 2
