"""The W3C SPARQL 1.1 Protocol and Service Description suites, driven by their manifests.

Each manifest entry is one test id. A read-only endpoint runs the query and bad-query tests as
written; update tests must be refused with a 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import rdflib
import requests
from rdflib import RDF, Namespace
from rdflib.collection import Collection

from tests.conftest import REPO, Server

W3C = REPO / "tests" / "data" / "w3c"
PROTOCOL = W3C / "sparql11-protocol" / "manifest.ttl"
SERVICE_DESCRIPTION = W3C / "sparql11-service-description" / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RDFS = rdflib.RDFS
RDF_MEDIA = {
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
}
TABULAR_MEDIA = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}


def _manifest(path: Path) -> tuple[rdflib.Graph, list[rdflib.term.Node]]:
    graph = rdflib.Graph().parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    return graph, list(Collection(graph, graph.value(manifest, MF.entries)))


def _entries(path: Path) -> list[tuple[str, rdflib.term.Node]]:
    if not path.is_file():
        return []
    _, entries = _manifest(path)
    return [(str(e).rsplit("#", 1)[-1], e) for e in entries]


@pytest.fixture(scope="module")
def protocol_server(server_factory: Callable[..., Server], tmp_path_factory) -> Server:
    """One server holding every graph the protocol tests name, under the names they give."""
    graph, _ = _manifest(PROTOCOL)
    dataset = rdflib.Dataset()
    for data in set(graph.objects(None, UT.graphData)):
        source = Path(str(graph.value(data, UT.graph)).removeprefix("file://"))
        name = rdflib.URIRef(str(graph.value(data, RDFS.label)))
        dataset.graph(name).parse(source, format="nt")
    path = tmp_path_factory.mktemp("w3c") / "protocol-data.nq"
    path.write_text(dataset.serialize(format="nquads"), encoding="utf-8")
    return server_factory("--data", str(path))


@pytest.mark.parametrize(
    ("name", "entry"), _entries(PROTOCOL), ids=[name for name, _ in _entries(PROTOCOL)]
)
def test_protocol(name: str, entry: rdflib.term.Node, protocol_server: Server) -> None:
    graph, _ = _manifest(PROTOCOL)
    connection = graph.value(entry, MF.action)
    for request in Collection(graph, graph.value(connection, HT.requests)):
        response = _send(graph, request, protocol_server)
        expected = graph.value(request, HT.resp)
        statuses = {
            str(s).rsplit("StatusCode", 1)[-1] for s in graph.objects(expected, MF.expectedStatus)
        }
        got = f"{str(response.status_code)[0]}xx"
        if name.startswith("update_"):
            # read-only endpoint: every update must be refused, never applied; the requests
            # that follow an update check its effect, which a read-only endpoint cannot have
            if _is_update(graph, request):
                assert got == "4xx", f"{name}: update answered {response.status_code}"
            continue
        assert got in statuses, f"{name}: {response.status_code} {response.text[:200]}"
        if got != "2xx":
            assert "Traceback" not in response.text
            continue
        _check_body(graph, expected, response, name)


def _is_update(graph: rdflib.Graph, request: rdflib.term.Node) -> bool:
    body = graph.value(request, HT.body)
    chars = str(graph.value(body, CNT.chars)) if body is not None else ""
    path = str(graph.value(request, HT.absolutePath))
    return chars.startswith("update=") or "update=" in path or _has_update_type(graph, request)


def _has_update_type(graph: rdflib.Graph, request: rdflib.term.Node) -> bool:
    headers_list = graph.value(request, HT.headers)
    if headers_list is None:
        return False
    return any(
        "sparql-update" in str(graph.value(h, HT.fieldValue))
        for h in Collection(graph, headers_list)
    )


def _send(graph: rdflib.Graph, request: rdflib.term.Node, server: Server) -> requests.Response:
    path = str(graph.value(request, HT.absolutePath)).replace("/sparql/", "/sparql", 1)
    method = str(graph.value(request, HT.methodName))
    headers = {}
    headers_list = graph.value(request, HT.headers)
    if headers_list is not None:
        for header in Collection(graph, headers_list):
            headers[str(graph.value(header, HT.fieldName))] = str(
                graph.value(header, HT.fieldValue)
            )
    body = graph.value(request, HT.body)
    data = None
    if body is not None:
        encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
        data = str(graph.value(body, CNT.chars)).encode(encoding)
    return requests.request(method, server.url + path, data=data, headers=headers, timeout=30)


def _check_body(
    graph: rdflib.Graph, expected: rdflib.term.Node, response: requests.Response, name: str
) -> None:
    media = response.headers["Content-Type"].split(";")[0].strip()
    fmt = str(graph.value(expected, MF.expectedFormat) or "")
    if fmt == "boolean":
        assert media in TABULAR_MEDIA, name
        boolean = graph.value(expected, MF.expectedBoolean)
        if boolean is not None:
            assert response.json()["boolean"] is boolean.toPython(), name
    elif fmt == "tabular":
        assert media in TABULAR_MEDIA, name
    elif fmt == "RDF":
        assert media in RDF_MEDIA, name
        rdf_format = {
            "text/turtle": "turtle",
            "application/n-triples": "nt",
            "application/ld+json": "json-ld",
            "application/rdf+xml": "xml",
        }[media]
        rdflib.Graph().parse(data=response.text, format=rdf_format)


@pytest.mark.parametrize(
    ("name", "entry"),
    _entries(SERVICE_DESCRIPTION),
    ids=[name for name, _ in _entries(SERVICE_DESCRIPTION)],
)
def test_service_description(name: str, entry: rdflib.term.Node, mini_server: Server) -> None:
    response = requests.get(mini_server.sparql, headers={"Accept": "text/turtle"}, timeout=10)
    if name == "returns-rdf":
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/turtle")
        assert len(rdflib.Graph().parse(data=response.text, format="turtle")) > 5
        return
    description = rdflib.Graph().parse(data=response.text, format="turtle")
    services = set(description.subjects(RDF.type, SD.Service))
    if name == "has-endpoint-triple":
        assert any(
            (s, SD.endpoint, rdflib.URIRef(mini_server.sparql)) in description for s in services
        )
    elif name == "conforms-to-schema":
        _conforms_to_sd_schema(description, services)
    else:
        pytest.fail(f"unknown service description test {name}")


def _conforms_to_sd_schema(description: rdflib.Graph, services: set[rdflib.term.Node]) -> None:
    """The checks the suite's schema test makes: SD terms used as the vocabulary defines them."""
    assert len(services) == 1
    service = next(iter(services))
    assert set(description.objects(service, SD.supportedLanguage)) <= {
        SD.SPARQL10Query,
        SD.SPARQL11Query,
        SD.SPARQL11Update,
    }
    assert SD.SPARQL11Query in set(description.objects(service, SD.supportedLanguage))
    for dataset in description.objects(service, SD.defaultDataset):
        assert (dataset, RDF.type, SD.Dataset) in description
        for named in description.objects(dataset, SD.namedGraph):
            assert isinstance(description.value(named, SD.name), rdflib.URIRef)
            assert description.value(named, SD.graph) is not None
    for feature in description.objects(service, SD.feature):
        assert str(feature).startswith(str(SD))
    used = {p for p in description.predicates() if str(p).startswith(str(SD))}
    used |= {o for o in description.objects(None, RDF.type) if str(o).startswith(str(SD))}
    known = {
        SD[t]
        for t in [
            "Service",
            "endpoint",
            "supportedLanguage",
            "feature",
            "defaultEntailmentRegime",
            "resultFormat",
            "defaultDataset",
            "Dataset",
            "defaultGraph",
            "namedGraph",
            "NamedGraph",
            "name",
            "graph",
            "Graph",
            "UnionDefaultGraph",
            "SPARQL11Query",
        ]
    }
    assert used <= known, used - known


GSP = W3C / "sparql11-graph-store-protocol"


def _gsp_requests() -> list[tuple[str, str, str]]:
    """(test, method, path) of every request in the Graph Store Protocol manifests."""
    found = []
    for manifest in ("manifest-indirect.ttl", "manifest-direct.ttl"):
        path = GSP / manifest
        if not path.is_file():
            continue
        graph = rdflib.Graph().parse(path, format="turtle", publicID=path.as_uri())
        for request in graph.subjects(HT.methodName, None):
            test = next(graph.subjects(MF.action, None), None)
            found.append(
                (
                    str(test),
                    str(graph.value(request, HT.methodName)),
                    str(graph.value(request, HT.absolutePath)),
                )
            )
    return found


@pytest.mark.parametrize("method", sorted({m for _, m, _ in _gsp_requests()} - {"GET", "HEAD"}))
def test_graph_store_writes_are_refused(method: str, mini_server: Server) -> None:
    for _, request_method, path in _gsp_requests():
        if request_method != method or not path.startswith("/gsp?"):
            continue
        response = requests.request(
            method,
            mini_server.url + path,
            data=b"<a:s> <a:p> <a:o> .",
            headers={"Content-Type": "text/turtle"},
            timeout=10,
        )
        assert response.status_code in {403, 405}, (method, path, response.status_code)


def test_graph_store_get_returns_a_named_graph(mini_server: Server) -> None:
    edition = "https://w3id.org/plangraph/edition/test-mini-2020"
    response = requests.get(
        mini_server.url + "/gsp",
        params={"graph": edition},
        headers={"Accept": "application/n-triples"},
        timeout=10,
    )
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="nt")
    assert len(graph) == 31
    missing = requests.get(mini_server.url + "/gsp", params={"graph": "urn:x:none"}, timeout=10)
    assert missing.status_code == 404
    union = requests.get(
        mini_server.url + "/gsp?default", headers={"Accept": "text/turtle"}, timeout=10
    )
    assert len(rdflib.Graph().parse(data=union.text, format="turtle")) == 37
