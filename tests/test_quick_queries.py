"""A query a worker answered within QUICK_SECONDS runs in the server's own thread next time.

Shown from outside: with every query worker stopped (SIGSTOP), a repeated quick query is still
answered, while a query never seen before, or one that took longer, waits for a worker. The
memo is per data generation, so it cannot outlive the data the time was measured on.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.conftest import Server, workers_of

QUICK = "ASK { ?s a ?type }"
UNSEEN = "ASK { ?s a ?type ; ?p ?o }"
SLOW = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY DESC(STR(?o)) ?s ?p"


@pytest.fixture
def server(server_factory: Callable[..., Server]) -> Server:
    return server_factory("--queue-timeout", "5", "--fast-lane", "0")


@contextlib.contextmanager
def workers_stopped(server: Server) -> Iterator[None]:
    stopped = workers_of(server)
    assert stopped, "the server has no query workers to stop"
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def ask(server: Server, query: str, timeout: float = 30) -> requests.Response:
    return requests.post(
        server.sparql,
        data=query.encode(),
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
        timeout=timeout,
    )


def test_a_repeated_quick_query_needs_no_worker(server: Server) -> None:
    assert ask(server, QUICK).json()["boolean"] is True  # measured in a worker
    with workers_stopped(server):
        assert ask(server, QUICK, timeout=2).json()["boolean"] is True
        with pytest.raises(requests.exceptions.ReadTimeout):
            ask(server, UNSEEN, timeout=1)  # never seen: it waits for a (stopped) worker


def test_a_query_that_took_longer_still_goes_to_a_worker(server: Server) -> None:
    first = ask(server, SLOW)
    assert first.status_code == 200 and len(first.json()["results"]["bindings"]) > 1000
    ask(server, SLOW)
    with workers_stopped(server), pytest.raises(requests.exceptions.ReadTimeout):
        ask(server, SLOW, timeout=1)
