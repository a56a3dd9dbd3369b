"""The SPARQL endpoint as its users see it: SPARQLWrapper and plain HTTP against a live server."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
import urllib.error

import pytest
import rdflib
import requests
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from tests.conftest import DATA, Server, ServerFactory

EDITION = "https://w3id.org/plangraph/edition/test-mini-2020"
PG = "https://w3id.org/plangraph/ontology#"
TASK_LABELS = f"""
PREFIX pg: <{PG}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?task ?number ?label WHERE {{
  ?task a pg:Task ; pg:number ?number ; rdfs:label ?label . FILTER(lang(?label) = "en")
}} ORDER BY ?number
"""
CONSTRUCT_TASKS = f"""
PREFIX pg: <{PG}>
CONSTRUCT {{ ?task pg:text ?text }} WHERE {{ ?task a pg:Task ; pg:text ?text }}
"""


def wrapper(server: Server, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_as_json_has_the_tasks_in_order(mini_server: Server, method: str) -> None:
    result = wrapper(mini_server, TASK_LABELS, JSON, method).queryAndConvert()
    rows = result["results"]["bindings"]
    assert [r["label"]["value"] for r in rows] == ["First task", "Second task"]
    assert rows[0]["number"]["datatype"].endswith("#integer")


def test_select_as_xml_parses_with_the_same_rows(mini_server: Server) -> None:
    document = wrapper(mini_server, TASK_LABELS, XML).queryAndConvert()
    ns = "{http://www.w3.org/2005/sparql-results#}"
    labels = [e.firstChild.data for e in document.getElementsByTagName("literal")]
    assert "First task" in labels and "Second task" in labels
    assert ns  # the document is SPARQL XML results: checked by SPARQLWrapper's own parser


@pytest.mark.parametrize(("fmt", "delimiter"), [(CSV, ","), (TSV, "\t")])
def test_select_as_csv_and_tsv(mini_server: Server, fmt: str, delimiter: str) -> None:
    raw = wrapper(mini_server, TASK_LABELS, fmt).queryAndConvert()
    text = raw.decode() if isinstance(raw, bytes) else raw
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert [h.lstrip("?") for h in rows[0]] == ["task", "number", "label"]
    assert len(rows) == 3
    assert "Second task" in rows[2][2]


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask_answers_true_and_false(mini_server: Server, fmt: str) -> None:
    yes = wrapper(mini_server, f"ASK {{ <{EDITION}> a <{PG}PlanEdition> }}", fmt)
    no = wrapper(mini_server, f"ASK {{ <{EDITION}> a <{PG}Task> }}", fmt)
    if fmt == JSON:
        assert yes.queryAndConvert()["boolean"] is True
        assert no.queryAndConvert()["boolean"] is False
    else:
        assert yes.queryAndConvert().getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD])
def test_construct_in_every_rdf_format_round_trips(mini_server: Server, fmt: str) -> None:
    graph = wrapper(mini_server, CONSTRUCT_TASKS, fmt).queryAndConvert()
    if not isinstance(graph, rdflib.Graph):  # SPARQLWrapper hands some formats back raw
        graph = rdflib.Graph().parse(data=graph, format="json-ld" if fmt == JSONLD else "turtle")
    texts = {str(o) for o in graph.objects(None, rdflib.URIRef(PG + "text"))}
    assert texts == {"支持人民银行。", "建设区块链平台。"}


def test_describe_returns_the_resource_triples(mini_server: Server) -> None:
    raw = wrapper(mini_server, f"DESCRIBE <{EDITION}/task/1>", TURTLE).queryAndConvert()
    graph = rdflib.Graph().parse(data=raw, format="turtle")
    # the shortcut the load step writes, and the qualified node it comes from
    assert (
        rdflib.URIRef(f"{EDITION}/task/1"),
        rdflib.URIRef(PG + "involvesInstitution"),
        rdflib.URIRef("https://w3id.org/plangraph/institution/pboc"),
    ) in graph
    assert any(
        graph.objects(
            rdflib.URIRef(f"{EDITION}/task/1"), rdflib.URIRef(PG + "qualifiedInvolvement")
        )
    )


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.4, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("text/*", "text/csv"),
        ("*/*", "application/sparql-results+json"),
        ("application/json", "application/json"),
    ],
)
def test_accept_with_q_values_picks_the_best_format(
    mini_server: Server, accept: str, expected: str
) -> None:
    response = requests.get(
        mini_server.sparql, params={"query": TASK_LABELS}, headers={"Accept": accept}, timeout=10
    )
    assert response.status_code == 200
    content_type = response.headers["Content-Type"].split(";")[0]
    assert content_type == expected or (expected == "application/json" and "json" in content_type)
    assert response.headers["Vary"] == "Accept"


def test_format_parameter_overrides_accept(mini_server: Server) -> None:
    response = requests.get(
        mini_server.sparql,
        params={"query": TASK_LABELS, "format": "tsv"},
        headers={"Accept": "application/sparql-results+xml"},
        timeout=10,
    )
    assert response.headers["Content-Type"].startswith("text/tab-separated-values")
    assert response.text.splitlines()[0] == "?task\t?number\t?label"


def test_nothing_acceptable_gets_406(mini_server: Server) -> None:
    response = requests.get(
        mini_server.sparql,
        params={"query": TASK_LABELS},
        headers={"Accept": "image/png"},
        timeout=10,
    )
    assert response.status_code == 406
    assert "image/png" in response.text


def test_malformed_query_gets_400_with_line_and_column(mini_server: Server) -> None:
    client = wrapper(mini_server, "SELECT * WHERE {\n  ?s ?p \n}", JSON)
    with pytest.raises(QueryBadFormed) as caught:
        client.queryAndConvert()
    message = str(caught.value)
    assert "3:1" in message or "2:" in message
    assert "Traceback" not in message


def test_update_is_refused_with_403(mini_server: Server) -> None:
    for headers, data in [
        ({"Content-Type": "application/sparql-update"}, "INSERT DATA { <a:s> <a:p> <a:o> }"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "update=CLEAR%20ALL"),
    ]:
        response = requests.post(mini_server.sparql, data=data, headers=headers, timeout=10)
        assert response.status_code == 403
        assert "read-only" in response.text
    # and nothing changed
    client = wrapper(mini_server, "ASK { <a:s> <a:p> <a:o> }", JSON)
    assert client.queryAndConvert()["boolean"] is False


def test_update_in_the_query_parameter_is_refused(mini_server: Server) -> None:
    response = requests.get(mini_server.sparql, params={"query": "DROP ALL"}, timeout=10)
    assert response.status_code == 403


def test_update_with_the_write_token_is_applied(server_factory: ServerFactory) -> None:
    server = server_factory("--data", str(DATA / "mini"), "--write-token", "s3cret")
    insert = "INSERT DATA { <urn:x:s> <urn:x:p> 'written' }"
    refused = requests.post(
        server.sparql,
        data=insert,
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer wrong"},
        timeout=10,
    )
    assert refused.status_code == 401  # a wrong token is not a token (RFC 6750)
    accepted = requests.post(
        server.sparql,
        data=insert,
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer s3cret"},
        timeout=30,
    )
    assert accepted.status_code == 204
    answer = wrapper(server, "ASK { <urn:x:s> <urn:x:p> 'written' }", JSON).queryAndConvert()
    assert answer["boolean"] is True
    dump = requests.get(server.url + "/dumps/plangraph.nt", timeout=30)
    assert '<urn:x:s> <urn:x:p> "written" .' in dump.text  # cached dumps are rebuilt
    second = requests.post(
        server.sparql,
        data="INSERT DATA { <urn:x:s> <urn:x:p> 'again' }",
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer s3cret"},
        timeout=30,
    )
    assert second.status_code == 204  # the restarted engine takes a second update too
    both = wrapper(server, "SELECT ?o WHERE { <urn:x:s> <urn:x:p> ?o }", JSON).queryAndConvert()
    assert {b["o"]["value"] for b in both["results"]["bindings"]} == {"written", "again"}


def test_service_is_refused_without_any_connection_attempt(mini_server: Server) -> None:
    with socket.socket() as trap:
        trap.bind(("127.0.0.1", 0))
        trap.listen(1)
        trap.settimeout(1.0)
        port = trap.getsockname()[1]
        response = requests.get(
            mini_server.sparql,
            params={
                "query": f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}"
            },
            timeout=10,
        )
        assert response.status_code == 400
        assert "SERVICE" in response.text
        with pytest.raises(TimeoutError):
            trap.accept()


def test_remote_from_is_refused(mini_server: Server) -> None:
    response = requests.get(
        mini_server.sparql,
        params={"query": "SELECT * FROM <http://example.org/remote.ttl> WHERE { ?s ?p ?o }"},
        timeout=10,
    )
    assert response.status_code == 400
    assert "never fetched" in response.text


def test_from_a_graph_of_the_dataset_is_allowed(mini_server: Server) -> None:
    client = wrapper(
        mini_server, f"SELECT (COUNT(*) AS ?n) FROM <{EDITION}> WHERE {{ ?s ?p ?o }}", JSON
    )
    count = int(client.queryAndConvert()["results"]["bindings"][0]["n"]["value"])
    assert count > 5


# A cross product over the whole graph: 25^6 rows to count.
SLOW = (
    "SELECT (COUNT(*) AS ?n) WHERE "
    "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r }"
)


def test_slow_query_is_stopped_while_others_answer(server_factory: ServerFactory) -> None:
    server = server_factory("--data", str(DATA / "mini"), "--query-timeout", "2", "--workers", "2")
    outcome: dict[str, object] = {}

    def slow() -> None:
        started = time.monotonic()
        response = requests.get(server.sparql, params={"query": SLOW}, timeout=30)
        outcome["status"] = response.status_code
        outcome["text"] = response.text
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    quick_started = time.monotonic()
    quick = wrapper(server, TASK_LABELS, JSON).queryAndConvert()
    quick_seconds = time.monotonic() - quick_started
    thread.join(timeout=30)
    assert len(quick["results"]["bindings"]) == 2
    assert quick_seconds < 1.0
    assert outcome["status"] == 503
    assert "time limit" in str(outcome["text"])
    assert 1.8 < float(outcome["seconds"]) < 6  # type: ignore[arg-type]
    # the worker was replaced: the server still answers afterwards
    assert wrapper(server, "ASK {}", JSON).queryAndConvert()["boolean"] is True


def test_sparqlwrapper_sees_the_timeout_as_503(server_factory: ServerFactory) -> None:
    server = server_factory("--data", str(DATA / "mini"), "--query-timeout", "1")
    with pytest.raises(urllib.error.HTTPError) as caught:
        wrapper(server, SLOW, JSON).queryAndConvert()
    assert caught.value.code == 503
    assert "time limit" in caught.value.read().decode()


def test_row_cap_is_signalled_in_header_and_json(server_factory: ServerFactory) -> None:
    server = server_factory("--data", str(DATA / "mini"), "--max-rows", "5")
    response = requests.get(
        server.sparql,
        params={"query": "SELECT * WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    body = response.json()
    assert len(body["results"]["bindings"]) == 5
    assert body["truncated"] is True and body["maxRows"] == 5
    assert response.headers["X-PlanGraph-Truncated"].startswith("true")
    csv_response = requests.get(
        server.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o }", "format": "csv"}, timeout=10
    )
    assert len(csv_response.text.strip().splitlines()) == 6
    assert "X-PlanGraph-Truncated" in csv_response.headers
    small = requests.get(
        server.sparql, params={"query": "SELECT * WHERE { ?s a ?o } LIMIT 3"}, timeout=10
    )
    assert "X-PlanGraph-Truncated" not in small.headers
    assert "truncated" not in small.json()


def test_body_over_the_limit_gets_413(server_factory: ServerFactory) -> None:
    server = server_factory("--data", str(DATA / "mini"), env={"PLANGRAPH_MAX_BODY_BYTES": "1000"})
    response = requests.post(
        server.sparql,
        data="ASK {}" + " " * 2000,
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert response.status_code == 413


def test_cors_is_open_for_browser_clients(mini_server: Server) -> None:
    preflight = requests.options(
        mini_server.sparql,
        headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_protocol_dataset_parameters_choose_graphs(mini_server: Server) -> None:
    registry = "https://w3id.org/plangraph/graph/institutions"
    response = requests.get(
        mini_server.sparql,
        params={
            "query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            "default-graph-uri": registry,
        },
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "6"


def test_named_queries_list_and_run_with_bound_parameters(live_server: Server) -> None:
    listing = requests.get(
        live_server.url + "/queries", headers={"Accept": "application/json"}, timeout=10
    ).json()
    names = {q["name"] for q in listing}
    assert "plan-summary" in names
    for query in listing:
        assert query["summary"], query["name"]
    response = requests.get(
        live_server.url + "/queries/plan-summary",
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["results"]["bindings"]


def test_named_query_parameter_cannot_inject_sparql(live_server: Server) -> None:
    listing = requests.get(
        live_server.url + "/queries", headers={"Accept": "application/json"}, timeout=10
    ).json()
    with_iri = next(q for q in listing if any(p["type"] == "IRI" for p in q["params"]))
    param = next(p["name"] for p in with_iri["params"] if p["type"] == "IRI")
    evil = "urn:x> } UNION { ?s ?p ?o"
    response = requests.get(
        f"{live_server.url}/queries/{with_iri['name']}", params={param: evil}, timeout=10
    )
    assert response.status_code == 400
    assert "IRI" in response.text


def test_unknown_named_query_is_404(live_server: Server) -> None:
    response = requests.get(live_server.url + "/queries/no-such-query", timeout=10)
    assert response.status_code == 404


def test_service_description_names_the_endpoint(mini_server: Server) -> None:
    for accept, fmt in [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ]:
        response = requests.get(mini_server.sparql, headers={"Accept": accept}, timeout=10)
        graph = rdflib.Graph().parse(data=response.text, format=fmt)
        sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
        endpoints = set(graph.objects(None, sd.endpoint))
        assert endpoints == {rdflib.URIRef(mini_server.sparql)}


def test_json_results_are_valid_json_for_unicode(mini_server: Server) -> None:
    query = f"SELECT ?t WHERE {{ <{EDITION}/task/1> <{PG}text> ?t }}"
    response = requests.get(
        mini_server.sparql,
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert json.loads(response.content)["results"]["bindings"][0]["t"]["value"] == "支持人民银行。"
