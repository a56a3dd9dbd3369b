"""Virtuoso's deviations from the SPARQL 1.1 Protocol, each shown on the real engine and then
shown undone by plangraph (plangraph/remote.py; docs/BACKENDS.md lists them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from bench import engines
from plangraph.errors import QueryTimeout
from plangraph.remote import Answer, Endpoint, RemoteStore, _check_complete
from tests.conftest import Server, ServerFactory
from tests.test_remote_backend import parsed

JSON = "application/sparql-results+json"
OWL_DEPRECATED = "http://www.w3.org/2002/07/owl#deprecated"
BELT = "https://w3id.org/plangraph/ontology#Belt"
DEPRECATED_BELT = f"SELECT ?o WHERE {{ <{BELT}> <{OWL_DEPRECATED}> ?o }}"
ALL_ORDERED = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
ALL_UNORDERED = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
CAP = 1000


@pytest.fixture(scope="module")
def virtuoso(engine_factory: Callable[..., object]) -> object:
    return engine_factory("virtuoso")


@pytest.fixture(scope="module")
def capped(engine_factory: Callable[..., object]) -> object:
    """A Virtuoso whose silent row cap (ResultSetMaxRows) is 1,000, below the data's size."""
    return engine_factory("virtuoso", max_rows=CAP)


@pytest.fixture(scope="module")
def over_virtuoso(virtuoso: object, server_factory: ServerFactory) -> Server:
    return server_factory("--sparql-endpoint", virtuoso.query_url)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def over_capped(capped: object, server_factory: ServerFactory) -> Server:
    return server_factory("--sparql-endpoint", capped.query_url)  # type: ignore[attr-defined]


def raw(engine: object, query: str, accept: str | None = JSON) -> requests.Response:
    """Ask the engine itself, as any client would."""
    headers = {"Accept": accept} if accept else {}
    return requests.post(
        engine.query_url,  # type: ignore[attr-defined]
        data={"query": query},
        headers=headers,
        timeout=60,
    )


def ask(server: Server, query: str, accept: str = JSON) -> requests.Response:
    headers = {"Accept": accept}
    return requests.post(server.sparql, data={"query": query}, headers=headers, timeout=120)


def test_typed_literal_json_is_read_as_a_literal(
    virtuoso: object, over_virtuoso: Server, live_server: Server
) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?class }"
    assert b'"typed-literal"' in raw(virtuoso, count).content  # SPARQL 1.0's JSON term type
    through = ask(over_virtuoso, count).json()["results"]["bindings"][0]["n"]
    assert through["type"] == "literal"
    assert through == ask(live_server, count).json()["results"]["bindings"][0]["n"]


def test_rdf_xml_default_is_avoided_by_an_explicit_accept(
    virtuoso: object, over_virtuoso: Server
) -> None:
    query = DEPRECATED_BELT
    assert "sparql-results+xml" in raw(virtuoso, query, accept="*/*").headers["Content-Type"]
    response = ask(over_virtuoso, query, accept="*/*")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(JSON)


def test_booleans_come_back_as_true_and_false(virtuoso: object, over_virtuoso: Server) -> None:
    query = DEPRECATED_BELT
    assert raw(virtuoso, query).json()["results"]["bindings"][0]["o"]["value"] == "1"
    value = ask(over_virtuoso, query).json()["results"]["bindings"][0]["o"]
    assert value["value"] == "true" and value["datatype"].endswith("#boolean")
    pattern = f"{{ <{BELT}> <{OWL_DEPRECATED}> ?o }}"
    construct = f"CONSTRUCT {pattern} WHERE {pattern}"
    graph = ask(over_virtuoso, construct, accept="application/n-triples").text
    assert '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>' in graph


def test_row_cap_is_silent_at_the_engine(capped: object) -> None:
    response = raw(capped, ALL_UNORDERED)
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == CAP
    assert response.headers["X-SPARQL-MaxRows"] == str(CAP)


@pytest.mark.parametrize("query", [ALL_ORDERED, ALL_UNORDERED], ids=["ordered", "unordered"])
def test_row_cap_pages_the_query_to_the_whole_answer(
    over_capped: Server, live_server: Server, query: str
) -> None:
    """Windows of the query as an ordered subquery (by every variable if it has no ORDER BY)."""
    through = ask(over_capped, query)
    assert through.status_code == 200, through.text[:300]
    assert "X-PlanGraph-Truncated" not in through.headers
    assert int(through.headers["X-PlanGraph-Rows"]) > 10 * CAP
    expected = ask(live_server, query)
    assert parsed(through.content, "results", True) == parsed(expected.content, "results", True)


def test_row_cap_on_an_ordered_query_with_a_limit_is_an_error_not_a_short_answer(
    over_capped: Server,
) -> None:
    response = ask(over_capped, ALL_ORDERED + f" LIMIT {5 * CAP}")
    assert response.status_code == 502
    assert "X-SPARQL-MaxRows" in response.text and "LIMIT" in response.text


def test_construct_cap_is_silent_at_the_engine(capped: object) -> None:
    """No X-SPARQL-MaxRows on a CONSTRUCT: the graph is simply cut at the cap."""
    response = raw(capped, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "application/n-triples")
    assert response.status_code == 200 and "X-SPARQL-MaxRows" not in response.headers
    triples = len(list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)))
    assert CAP <= triples <= CAP + 1  # of more than 10,000


def test_capped_construct_is_an_error_not_a_short_graph(over_capped: Server) -> None:
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    response = ask(over_capped, construct, accept="application/n-triples")
    assert response.status_code == 502
    assert "X-SPARQL-MaxRows" in response.text


def test_construct_under_the_cap_is_answered(over_capped: Server, live_server: Server) -> None:
    construct = f"CONSTRUCT {{ ?s <{OWL_DEPRECATED}> ?o }} WHERE {{ ?s <{OWL_DEPRECATED}> ?o }}"
    response = ask(over_capped, construct, accept="application/n-triples")
    assert response.status_code == 200
    expected = ask(live_server, construct, accept="application/n-triples")
    assert parsed(response.content, "graph", True) == parsed(expected.content, "graph", True)


def test_dump_over_a_capped_engine_is_whole(over_capped: Server, live_server: Server) -> None:
    def count(server: Server) -> int:
        body = requests.get(server.url + "/dumps/plangraph.nq", timeout=120).content
        return len(list(ox.parse(body, format=ox.RdfFormat.N_QUADS)))

    assert count(over_capped) == count(live_server) > 10 * CAP


def test_time_limit_error_is_a_timeout(engine_factory: Callable[..., object]) -> None:
    """Virtuoso answers 500 at its own time limit (or its estimate of it): a 503 here."""
    engine = engine_factory("virtuoso", max_seconds=1)
    store = RemoteStore(Endpoint(engine.query_url, timeout=30))  # type: ignore[attr-defined]
    with pytest.raises(QueryTimeout):
        store.query("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f FILTER(STR(?c) < STR(?f)) }")


def test_anytime_partial_answer_is_refused(virtuoso: object) -> None:
    """With a `timeout` parameter Virtuoso answers 200 with what it has by then, flagged only in
    X-SQL-State; plangraph never sends the parameter, and refuses such an answer."""
    response = requests.post(
        virtuoso.query_url,  # type: ignore[attr-defined]
        data={
            "query": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f FILTER(STR(?c) < STR(?f)) }",
            "timeout": "200",
        },
        headers={"Accept": JSON},
        timeout=60,
    )
    if "X-SQL-State" not in response.headers:
        pytest.skip(f"this Virtuoso did not answer partially ({response.status_code})")
    headers = {k.lower(): v for k, v in response.headers.items()}
    with pytest.raises(QueryTimeout):
        _check_complete(Answer(response.status_code, headers, response.content))


def test_nodeid_blank_nodes_are_read(virtuoso: object) -> None:
    """Virtuoso names blank nodes `nodeID://b123` in JSON results, not a valid label."""
    graph = "urn:x-plangraph-test:blank"
    requests.post(
        virtuoso.update_url,  # type: ignore[attr-defined]
        # INSERT DATA refuses blank nodes on Virtuoso: a template makes one
        data={"update": f'INSERT {{ GRAPH <{graph}> {{ _:x <urn:p> "v" }} }} WHERE {{}}'},
        timeout=60,
    ).raise_for_status()
    assert b"nodeID://" in raw(virtuoso, f"SELECT ?s {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").content
    store = RemoteStore(Endpoint(virtuoso.query_url), graphs=[graph])  # type: ignore[attr-defined]
    (row,) = list(store.query("SELECT ?s WHERE { ?s ?p ?o }"))  # type: ignore[call-overload]
    assert isinstance(row["s"], ox.BlankNode)


def test_virtuoso_starts_although_its_port_was_taken_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """free_port() closes the port it found and Virtuoso binds seconds later; a port taken in
    between makes Virtuoso exit ("Failed HTTP listen"), and the start is tried again."""
    import socket

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    taken = holder.getsockname()[1]
    real = engines.free_port
    ports = iter([real(), taken])  # the SQL port free, the HTTP port already in use
    monkeypatch.setattr(engines, "free_port", lambda: next(ports, None) or real())
    try:
        engine = engines.start_virtuoso(tmp_path)
    except engines.EngineMissing as err:
        pytest.skip(f"Virtuoso is not installed: {err}")
    finally:
        holder.close()
    try:
        assert f":{taken}/" not in engine.query_url
        assert "Failed HTTP listen" not in engine.log.read_text(errors="replace")
    finally:
        engines.stop(engine)
