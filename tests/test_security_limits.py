"""Every request's work is bounded: regression tests for issue 10, "Why" items 2, 3 and 4.

Each test starts the real server with a limit set low and drives it with real HTTP clients: a
request over a limit gets its documented answer (docs/SECURITY.md), and the server goes on
answering others.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import DATA, PLANGRAPH, REPO, Server, ServerFactory

MINI = str(DATA / "mini")
EDITION = REPO / "graph" / "bj-jinke-2020.ttl"
DEEP = 10_000
# Cross products over the 25 triples of tests/data/mini: 25^4 rows to sort, 25^6 to count.
SORTED_CROSS_PRODUCT = (
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?a ?d ?g ?j ?c ?f ?i ?l"
)
SLOW = (
    "SELECT (COUNT(*) AS ?n) WHERE "
    "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r }"
)


def ask(server: Server, timeout: float = 10, query: str = "ASK {}") -> requests.Response:
    return requests.get(
        server.sparql,
        params={"query": query},
        headers={"Accept": "application/json"},
        timeout=timeout,
    )


def peak_rss_mb(server: Server) -> float:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


@pytest.fixture(scope="module")
def limited(server_factory: ServerFactory) -> Server:
    return server_factory("--data", MINI, "--max-answer-bytes", "3000", "--worker-memory", "64")


# --- 2. one request must not kill the server -----------------------------------------------


def test_jsonld_nested_ten_thousand_deep_gets_400_and_the_server_lives(limited: Server) -> None:
    body = '{"@id": "http://example.org/a", "http://example.org/p": ' * DEEP
    body += '"x"' + "}" * DEEP
    response = requests.post(
        limited.url + "/validate",
        data=body.encode(),
        headers={"Content-Type": "application/ld+json"},
        timeout=60,
    )
    assert response.status_code == 400
    assert f"nests {DEEP} levels" in response.text
    assert limited.process.poll() is None
    assert ask(limited).status_code == 200


def test_turtle_collections_nested_too_deep_get_400(limited: Server) -> None:
    body = "<http://example.org/s> <http://example.org/p> " + "(" * 500 + "1" + ")" * 500 + " ."
    response = requests.post(
        limited.url + "/validate",
        data=body.encode(),
        headers={"Content-Type": "text/turtle"},
        timeout=60,
    )
    assert response.status_code == 400
    assert "nests 500 levels" in response.text


def test_query_with_ten_thousand_nested_braces_gets_400_not_500(limited: Server) -> None:
    query = "SELECT * WHERE " + "{" * DEEP + " ?s ?p ?o " + "}" * DEEP
    response = requests.post(
        limited.sparql,
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert response.status_code == 400
    assert f"nests {DEEP} levels" in response.text
    assert ask(limited).status_code == 200


def test_cli_query_of_a_deeply_nested_file_exits_2_with_one_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.rq"
    deep.write_text("SELECT * WHERE " + "{" * DEEP + " ?s ?p ?o " + "}" * DEEP)
    done = subprocess.run(
        [*PLANGRAPH, "query", str(deep), "--data", MINI],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 2, done.stderr
    assert "nests" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# --- 3. /validate is bounded ---------------------------------------------------------------


def test_validate_stops_at_its_time_limit_with_503(server_factory: ServerFactory) -> None:
    server = server_factory("--validate-timeout", "0.1")
    started = time.monotonic()
    response = requests.post(
        server.url + "/validate",
        data=EDITION.read_bytes(),
        headers={"Content-Type": "text/turtle"},
        timeout=60,
    )
    assert response.status_code == 503
    assert "time limit" in response.text
    assert time.monotonic() - started < 5
    assert ask(server).status_code == 200


def test_validate_body_over_its_own_cap_gets_413(server_factory: ServerFactory) -> None:
    server = server_factory("--data", MINI, "--validate-max-bytes", "1000")
    response = requests.post(
        server.url + "/validate",
        data=EDITION.read_bytes(),
        headers={"Content-Type": "text/turtle"},
        timeout=60,
    )
    assert response.status_code == 413


# --- 4. the main process and the workers are bounded ---------------------------------------


def test_ten_megabyte_queries_are_refused_quickly_and_the_server_stays_small(
    server_factory: ServerFactory,
) -> None:
    server = server_factory("--data", MINI)
    # just under the 10 MB body limit, and a token every two bytes for a lexer to chew on
    values = "1 " * ((10 * 1024 * 1024 - 100) // 2)
    query = ("SELECT * WHERE { VALUES ?x { " + values + "} }").encode()
    assert len(query) < 10 * 1024 * 1024
    answers: list[tuple[int, float]] = []

    def send() -> None:
        started = time.monotonic()
        response = requests.post(
            server.sparql,
            data=query,
            headers={"Content-Type": "application/sparql-query"},
            timeout=60,
        )
        answers.append((response.status_code, time.monotonic() - started))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [413] * 4
    assert max(seconds for _, seconds in answers) < 5
    assert peak_rss_mb(server) < 500


def test_answer_is_cut_at_the_byte_cap_and_says_so(limited: Server) -> None:
    for accept in ("application/json", "text/tab-separated-values", "text/csv"):
        response = requests.get(
            limited.sparql,
            params={"query": "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c }"},
            headers={"Accept": accept},
            timeout=30,
        )
        assert response.status_code == 200
        assert len(response.content) <= 3000
        assert "max-bytes=3000" in response.headers["X-PlanGraph-Truncated"]
        rows = int(response.headers["X-PlanGraph-Rows"])
        assert 0 < rows < 25 * 25
    as_json = requests.get(
        limited.sparql,
        params={"query": "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c }"},
        headers={"Accept": "application/json"},
        timeout=30,
    ).json()
    assert as_json["truncated"] is True
    assert as_json["maxBytes"] == 3000


def test_worker_over_its_memory_limit_gives_503_and_the_server_goes_on(limited: Server) -> None:
    response = requests.get(
        limited.sparql,
        params={"query": SORTED_CROSS_PRODUCT},
        headers={"Accept": "application/json"},
        timeout=60,
    )
    assert response.status_code == 503
    assert "memory limit (64 MiB)" in response.text
    assert ask(limited).status_code == 200


def test_busy_workers_shed_load_with_503_and_retry_after(server_factory: ServerFactory) -> None:
    server = server_factory(  # no fast lane: the main pool's own shedding is under test
        "--data",
        MINI,
        "--workers",
        "1",
        "--queue-timeout",
        "0.5",
        "--query-timeout",
        "60",
        "--fast-lane",
        "0",
    )
    slow = threading.Thread(target=_leave_after, args=(server, SLOW, 3.0))
    slow.start()
    time.sleep(1.0)  # the only worker is now busy
    started = time.monotonic()
    # A text not asked before: a repeated quick one (ASK {}) runs in the server's own thread.
    response = ask(server, query="ASK { ?s ?p ?o }")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert time.monotonic() - started < 3
    slow.join()


def test_a_query_whose_client_left_is_stopped(server_factory: ServerFactory) -> None:
    server = server_factory(
        "--data", MINI, "--workers", "1", "--query-timeout", "120", "--fast-lane", "0"
    )
    _leave_after(server, SLOW, 1.0)
    # the worker was killed and replaced: the next query does not wait for the slow one
    started = time.monotonic()
    response = requests.get(
        server.sparql,
        params={"query": "ASK {}"},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200
    assert time.monotonic() - started < 10


def _leave_after(server: Server, query: str, seconds: float) -> None:
    """Send a query and hang up after `seconds`, as a client that gives up does."""
    with contextlib.suppress(requests.exceptions.RequestException):
        requests.get(server.sparql, params={"query": query}, timeout=seconds)


def test_graph_store_answer_is_cut_at_the_byte_cap_and_says_so(limited: Server) -> None:
    response = requests.get(
        limited.url + "/gsp",
        params={"default": ""},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    assert response.status_code == 200
    assert len(response.content) <= 3000
    assert "max-bytes=3000" in response.headers["X-PlanGraph-Truncated"]
    assert response.text.count("\n") > 0


@pytest.mark.parametrize("accept", ["text/turtle", "application/rdf+xml", "application/ld+json"])
def test_graph_store_answer_in_a_verbose_format_fits_the_byte_cap(
    limited: Server, accept: str
) -> None:
    """Turtle's prefixes, RDF/XML and JSON-LD are larger than the per-line estimate."""
    response = requests.get(
        limited.url + "/gsp", params={"default": ""}, headers={"Accept": accept}, timeout=30
    )
    assert response.status_code == 200
    assert 0 < len(response.content) <= 3000
    assert "max-bytes=3000" in response.headers["X-PlanGraph-Truncated"]


def test_a_cheap_query_is_not_queued_behind_slow_ones(server_factory: ServerFactory) -> None:
    server = server_factory("--data", MINI, "--workers", "1", "--query-timeout", "20")
    slow = [threading.Thread(target=_leave_after, args=(server, SLOW, 4.0)) for _ in range(2)]
    for thread in slow:
        thread.start()
    time.sleep(1.0)  # the main pool's only worker is busy, and a second slow query waits for it
    started = time.monotonic()
    response = ask(server)
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0  # answered by the fast lane
    for thread in slow:
        thread.join()
