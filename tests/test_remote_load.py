"""`plangraph load --to` and the commands that read a remote engine, against real engines.

Loading: blank nodes become stable skolem IRIs, an unchanged graph is not sent again, graphs gone
from the data are dropped. Reading: `query`, `stats`, `export` and `validate --sparql-endpoint`
say what they say in-process; errors are one line and exit 2; SERVICE and remote FROM are
refused before anything reaches the engine; a slow query is a 503 at the time limit.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pyoxigraph as ox
import pytest
import requests

from plangraph import store
from plangraph.config import default_data
from plangraph.remote_load import GENID, skolemised_graphs
from tests.conftest import PLANGRAPH, REPO, Server, ServerFactory, free_port, load_arguments
from tests.test_remote_backend import _term, answer

THEMES = "https://w3id.org/plangraph/graph/themes"
MARKER = "<urn:x-plangraph-test:marker> <urn:x-plangraph-test:p> 1"


def plangraph(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PLANGRAPH, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


def engine_ask(engine: object, query: str) -> bool:
    response = requests.post(
        engine.query_url,  # type: ignore[attr-defined]
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    response.raise_for_status()
    return bool(response.json()["boolean"])


def engine_update(engine: object, update: str) -> None:
    requests.post(
        engine.update_url,  # type: ignore[attr-defined]
        data={"update": update},
        timeout=60,
    ).raise_for_status()


# --- loading ------------------------------------------------------------------------------


def test_skolem_iris_are_stable_and_no_blank_node_is_left() -> None:
    first = skolemised_graphs(store.load(default_data()))
    second = skolemised_graphs(store.load(default_data()))  # new blank node labels inside
    assert first == second
    terms = [t for triples in first.values() for triple in triples for t in triple]
    assert not any(isinstance(t, ox.BlankNode) for t in terms)
    assert any(isinstance(t, ox.NamedNode) and t.value.startswith(GENID) for t in terms)


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_reloading_unchanged_data_sends_nothing(
    engine_factory: Callable[..., object], kind: str
) -> None:
    """A triple put there behind plangraph's back survives: the graph was not replaced."""
    engine = engine_factory(kind)
    engine_update(engine, f"INSERT DATA {{ GRAPH <{THEMES}> {{ {MARKER} }} }}")
    try:
        done = plangraph(*load_arguments(engine))
        assert done.returncode == 0, done.stderr
        assert "11 graphs unchanged" in done.stderr and "nothing sent" in done.stderr
        assert engine_ask(engine, f"ASK {{ GRAPH <{THEMES}> {{ {MARKER} }} }}")
    finally:
        engine_update(engine, f"DELETE DATA {{ GRAPH <{THEMES}> {{ {MARKER} }} }}")


def test_changed_data_replaces_changed_graphs_and_drops_removed_ones(
    engine_factory: Callable[..., object],
) -> None:
    engine = engine_factory("oxigraph", load=False)
    edition = "https://w3id.org/plangraph/edition/bj-jinke-2020"
    full = plangraph(*load_arguments(engine))
    assert full.returncode == 0, full.stderr
    assert "loaded 11 graphs" in full.stderr
    part = plangraph(
        *load_arguments(engine), "--data", str(REPO / "ontology"), str(REPO / "graph/themes.ttl")
    )
    assert part.returncode == 0, part.stderr
    assert "loaded 0 graphs" in part.stderr and "2 unchanged, 9 dropped" in part.stderr
    assert not engine_ask(engine, f"ASK {{ GRAPH <{edition}> {{ ?s ?p ?o }} }}")
    assert engine_ask(engine, f"ASK {{ GRAPH <{THEMES}> {{ ?s ?p ?o }} }}")
    again = plangraph(*load_arguments(engine))
    assert "loaded 9 graphs" in again.stderr and "2 unchanged" in again.stderr
    assert engine_ask(engine, f"ASK {{ GRAPH <{edition}> {{ ?s ?p ?o }} }}")


# --- the commands over a remote engine ----------------------------------------------------


@pytest.fixture(scope="module")
def oxigraph(engine_factory: Callable[..., object]) -> object:
    return engine_factory("oxigraph")


def test_stats_over_the_engine_equal_the_in_process_stats(oxigraph: object) -> None:
    remote = plangraph("stats", "-f", "json", "--sparql-endpoint", oxigraph.query_url)  # type: ignore[attr-defined]
    local = plangraph("stats", "-f", "json")
    assert remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)


def test_query_over_the_engine_equals_the_in_process_answer(oxigraph: object) -> None:
    args = [
        "query",
        "tasks-by-institution",
        "-p",
        "institution=https://w3id.org/plangraph/institution/pboc",
        "-f",
        "csv",
    ]
    remote = plangraph(*args, "--sparql-endpoint", oxigraph.query_url)  # type: ignore[attr-defined]
    local = plangraph(*args)
    assert remote.returncode == 0, remote.stderr
    assert len(local.stdout.splitlines()) > 2
    assert sorted(remote.stdout.splitlines()) == sorted(local.stdout.splitlines())


def test_export_over_the_engine_holds_the_in_process_data(oxigraph: object) -> None:
    def quads(*extra: str) -> Counter[object]:
        done = plangraph("export", "-f", "nquads", *extra)
        assert done.returncode == 0, done.stderr
        return Counter(
            tuple(_term(t) for t in (q.subject, q.predicate, q.object, q.graph_name))
            for q in ox.parse(done.stdout.encode(), format=ox.RdfFormat.N_QUADS)
        )

    assert quads("--sparql-endpoint", oxigraph.query_url) == quads()  # type: ignore[attr-defined]


def test_validate_over_the_engine_reports_as_in_process(oxigraph: object) -> None:
    remote = plangraph("validate", "-f", "json", "--sparql-endpoint", oxigraph.query_url)  # type: ignore[attr-defined]
    local = plangraph("validate", "-f", "json")
    assert remote.returncode == local.returncode == 0, remote.stderr
    assert json.loads(remote.stdout)["counts"] == json.loads(local.stdout)["counts"]


@pytest.mark.parametrize(
    "args",
    [
        ["query", "ASK {}", "--sparql-endpoint", "{url}"],
        ["stats", "--sparql-endpoint", "{url}"],
        ["export", "-f", "nquads", "--sparql-endpoint", "{url}"],
        ["validate", "--sparql-endpoint", "{url}"],
        ["load", "--to", "{url}"],
        ["serve", "--port", "0", "--sparql-endpoint", "{url}"],
    ],
    ids=["query", "stats", "export", "validate", "load", "serve"],
)
def test_unreachable_engine_is_one_line_and_exit_2(args: list[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    done = plangraph(*[a.replace("{url}", url) for a in args], timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "cannot reach the engine" in done.stderr


def test_engine_error_is_one_line_and_exit_2(oxigraph: object) -> None:
    wrong = oxigraph.query_url.rsplit("/", 1)[0] + "/no-such-endpoint"  # type: ignore[attr-defined]
    done = plangraph("stats", "--sparql-endpoint", wrong)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "404" in done.stderr


def test_empty_engine_is_refused_with_what_to_do(engine_factory: Callable[..., object]) -> None:
    engine = engine_factory("oxigraph", load=False, timeout_s=600)  # its own, never loaded
    done = plangraph("stats", "--sparql-endpoint", engine.query_url)  # type: ignore[attr-defined]
    assert done.returncode == 2 and "plangraph load --to" in done.stderr


# --- what never reaches the engine, and the time limit --------------------------------------


class Recorder(http.server.BaseHTTPRequestHandler):
    """A loopback relay in front of the engine that keeps every request body it passes on."""

    target = ""
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append(urllib.parse.unquote_plus(body.decode()))
        request = urllib.request.Request(
            self.target,
            data=body,
            headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read()
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in {"transfer-encoding", "connection", "content-length"}:
                    self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def recorded(oxigraph: object, server_factory: ServerFactory) -> Iterator[tuple[Server, list[str]]]:
    Recorder.target = oxigraph.query_url  # type: ignore[attr-defined]
    Recorder.seen = []
    relay = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=relay.serve_forever, daemon=True)
    thread.start()
    server = server_factory("--sparql-endpoint", f"http://127.0.0.1:{relay.server_port}/query")
    yield server, Recorder.seen
    relay.shutdown()


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * FROM <http://example.org/remote-data> WHERE { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o . SeRvIcE <http://example.org/sparql> { ?a ?b ?c } }",
    ],
    ids=["service", "remote-from", "service-mixed-case"],
)
def test_service_and_remote_from_never_reach_the_engine(
    recorded: tuple[Server, list[str]], query: str
) -> None:
    server, seen = recorded
    response = requests.post(server.sparql, data={"query": query}, timeout=30)
    assert response.status_code == 400
    ask = requests.post(server.sparql, data={"query": "ASK { ?s ?p ?o }"}, timeout=30)
    assert ask.status_code == 200
    assert any("ASK { ?s ?p ?o }" in body for body in seen)  # the relay does see queries
    assert not any("example.org" in body for body in seen)


def test_slow_query_is_a_503_at_the_time_limit(
    engine_factory: Callable[..., object], server_factory: ServerFactory
) -> None:
    engine = engine_factory("oxigraph", timeout_s=5)  # the engine stops it too, soon after
    server = server_factory(
        "--sparql-endpoint",
        engine.query_url,  # type: ignore[attr-defined]
        "--query-timeout",
        "1",
    )
    started = time.monotonic()
    response = requests.post(
        server.sparql,
        data={"query": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"},
        timeout=60,
    )
    assert response.status_code == 503, response.text
    assert time.monotonic() - started < 4


# --- QLever, the engine for billions of triples --------------------------------------------


def test_qlever_answers_as_in_process(server_factory: ServerFactory, live_server: Server) -> None:
    """Runs against a QLever holding the shipped data (loaded as docs/BACKENDS.md says)."""
    url = os.environ.get("PLANGRAPH_TEST_QLEVER_URL")
    if not url:
        pytest.skip("PLANGRAPH_TEST_QLEVER_URL is not set: no QLever to test against")
    server = server_factory("--sparql-endpoint", url)
    for path in sorted((REPO / "bench" / "queries").glob("*.rq")):
        query = path.read_text(encoding="utf-8")
        assert answer(server, query) == answer(live_server, query), path.name


def test_skolemised_export_is_what_load_puts_in_an_engine(
    engine_factory: Callable[..., object], tmp_path: Path
) -> None:
    """The file for engines that index files (QLever): loaded as it is, it serves as `load` does."""
    from bench import engines

    dump = tmp_path / "plangraph.nq"
    done = plangraph("export", "-f", "nquads", "--skolemise", "-o", str(dump))
    assert done.returncode == 0, done.stderr
    assert "_:" not in dump.read_text(encoding="utf-8")
    engine = engine_factory("oxigraph", load=False, timeout_s=601)  # a fresh one of its own
    engines.load_graph_store(engine, dump.read_bytes(), "application/n-quads", None)  # type: ignore[arg-type]
    reload = plangraph(*load_arguments(engine))
    assert "11 graphs unchanged" in reload.stderr  # the manifest came with the file
    stats = plangraph("stats", "-f", "json", "--sparql-endpoint", engine.query_url)  # type: ignore[attr-defined]
    assert json.loads(stats.stdout) == json.loads(plangraph("stats", "-f", "json").stdout)


def test_update_through_plangraph_over_an_engine_is_refused(
    oxigraph: object, server_factory: ServerFactory
) -> None:
    """Even with the write token: the engine is updated directly, or reloaded from the files."""
    server = server_factory(
        "--sparql-endpoint",
        oxigraph.query_url,  # type: ignore[attr-defined]
        "--write-token",
        "secret-token",
    )
    response = requests.post(
        server.sparql,
        data={"update": f"INSERT DATA {{ GRAPH <{THEMES}> {{ {MARKER} }} }}"},
        headers={"Authorization": "Bearer secret-token"},
        timeout=30,
    )
    assert response.status_code == 403 and "plangraph load" in response.text
    assert not engine_ask(oxigraph, f"ASK {{ GRAPH <{THEMES}> {{ {MARKER} }} }}")


def test_an_endpoint_that_is_not_http_is_one_line_and_exit_2() -> None:
    done = plangraph("stats", "--sparql-endpoint", "file:///etc/passwd")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "not an http(s) URL" in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+json"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "application/n-triples"),
    ],
    ids=["select", "construct"],
)
def test_plangraph_row_cap_cuts_a_remote_answer_and_says_so(
    oxigraph: object, server_factory: ServerFactory, query: str, accept: str
) -> None:
    server = server_factory(
        "--sparql-endpoint",
        oxigraph.query_url,  # type: ignore[attr-defined]
        "--max-rows",
        "10",
    )
    response = requests.post(
        server.sparql, data={"query": query}, headers={"Accept": accept}, timeout=60
    )
    assert response.status_code == 200, response.text[:300]
    assert response.headers["X-PlanGraph-Truncated"].startswith("true; max-rows=10")
    assert response.headers["X-PlanGraph-Rows"] == "10"
