"""Dereferencing IRIs on a live server: every format parses back to the store's description.

Each answer is parsed with rdflib (not the server's own serialiser) and compared, as a graph, with
`plangraph.describe` run in-process on the same files; the resource's own and inbound triples are
also checked against rdflib's own reading of the files, so the description cannot quietly drop
them. Then the protocol: q-values, `?format=`, `Vary`, 404, 406, and `public_base`.
"""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.compare import isomorphic, to_isomorphic

from plangraph import describe, store
from tests.conftest import REPO, Server, ServerFactory

BASE = "https://w3id.org/plangraph/"
PG = rdflib.Namespace(BASE + "ontology#")
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
FORMATS = {
    "turtle": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "ntriples": ("application/n-triples", "nt"),
    "rdfxml": ("application/rdf+xml", "xml"),
}
# A plan, an edition, a task, an institution and a zone of the shipped graph.
RESOURCES = [
    "plan/sh-fintech-centre",
    "edition/bj-jinke-2020",
    "edition/sh-fintech-2020/task/15",
    "institution/pboc",
    "zone/sh-lujiazui",
]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def shipped() -> store.GraphStore:
    return store.load([REPO / "ontology", REPO / "graph"])


# Oxigraph's store keeps xsd:integer for every integer type derived from it (a stored
# "30"^^xsd:nonNegativeInteger reads back as "30"^^xsd:integer), so the independent reading is
# compared after the same mapping.
XSD = "http://www.w3.org/2001/XMLSchema#"
DERIVED_INTEGERS = {
    rdflib.URIRef(XSD + name)
    for name in [
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    ]
}


def as_stored(term: rdflib.term.Node) -> rdflib.term.Node:
    if isinstance(term, rdflib.Literal) and term.datatype in DERIVED_INTEGERS:
        return rdflib.Literal(str(term), datatype=rdflib.XSD.integer)
    return term


@pytest.fixture(scope="module")
def rdflib_files() -> rdflib.Graph:
    """The shipped files as rdflib reads them, merged: an independent reading of the data."""
    graph = rdflib.Graph()
    for path in sorted([*(REPO / "ontology").glob("*.ttl"), *(REPO / "graph").glob("*.ttl")]):
        for s, p, o in rdflib.Graph().parse(path, format="turtle"):
            graph.add((s, p, as_stored(o)))
    return graph


def parse(body: bytes, fmt: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=body, format=FORMATS[fmt][1], publicID=BASE)
    return graph


def as_rdflib(triples: list[ox.Triple]) -> rdflib.Graph:
    out = io.BytesIO()
    ox.serialize(triples, out, ox.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    graph.parse(data=out.getvalue(), format="nt")
    return graph


def without_bnodes(graph: rdflib.Graph) -> set[tuple[object, object, object]]:
    return {t for t in graph if not any(isinstance(x, rdflib.BNode) for x in t)}


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("path", RESOURCES)
def test_resource_in_every_format_is_the_store_description(
    live_server: Server,
    shipped: store.GraphStore,
    rdflib_files: rdflib.Graph,
    path: str,
    fmt: str,
) -> None:
    media = FORMATS[fmt][0]
    response = requests.get(f"{live_server.url}/{path}", headers={"Accept": media}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith(media)
    assert "Accept" in response.headers["Vary"]
    answer = parse(response.content, fmt)
    expected = as_rdflib(describe.describe(shipped, BASE + path).triples)
    assert len(answer) == len(expected)
    assert isomorphic(answer, expected), _diff(answer, expected)
    node = rdflib.URIRef(BASE + path)
    own = {
        t for t in rdflib_files.triples((node, None, None)) if not isinstance(t[2], rdflib.BNode)
    }
    inbound = {
        t for t in rdflib_files.triples((None, None, node)) if not isinstance(t[0], rdflib.BNode)
    }
    assert own and own <= set(answer), sorted(own - set(answer))[:3]
    assert inbound <= set(answer), sorted(inbound - set(answer))[:3]


def _diff(a: rdflib.Graph, b: rdflib.Graph) -> str:
    only_a = without_bnodes(a) - without_bnodes(b)
    only_b = without_bnodes(b) - without_bnodes(a)
    return f"only in answer: {sorted(only_a)[:3]}; only in store: {sorted(only_b)[:3]}"


def test_description_has_evidence_spans_and_labels_of_neighbours(live_server: Server) -> None:
    """The blank-node closure (pg:evidence spans) and the labels of what the task links to."""
    path = "edition/sh-fintech-2020/task/15"
    response = requests.get(f"{live_server.url}/{path}?format=turtle", timeout=30)
    graph = parse(response.content, "turtle")
    task = rdflib.URIRef(BASE + path)
    spans = list(graph.objects(task, PG.evidence))
    assert spans and all(isinstance(s, rdflib.BNode) for s in spans)
    selectors = [s for span in spans for s in graph.objects(span, OA.hasSelector)]
    quotes = [str(q) for s in selectors for q in graph.objects(s, OA.exact)]
    assert any(q.startswith("15.积极探索金融科技监管创新") for q in quotes)
    assert len([s for s in selectors if graph.value(s, OA.start) is not None]) == len(spans)
    pboc = rdflib.URIRef(BASE + "institution/pboc")
    assert (task, PG.supportsInstitution, pboc) in graph  # the shortcut the load step writes
    labels = set(graph.objects(pboc, rdflib.RDFS.label))
    assert rdflib.Literal("中国人民银行", lang="zh") in labels
    area = graph.value(task, PG.inTaskArea)
    assert graph.value(area, rdflib.RDFS.label) is not None


def test_description_includes_what_links_here(live_server: Server) -> None:
    response = requests.get(f"{live_server.url}/institution/pboc?format=ntriples", timeout=30)
    graph = parse(response.content, "ntriples")
    pboc = rdflib.URIRef(BASE + "institution/pboc")
    tasks = {
        s
        for s, p in graph.subject_predicates(pboc)
        if "/task/" in str(s) and "/involvement/" not in str(s)
    }
    assert tasks, "no task links to pboc in its description"
    for task in tasks:
        assert graph.value(task, rdflib.RDFS.label) is not None


def test_the_describe_query_gives_the_same_graph_through_sparql(live_server: Server) -> None:
    """api/page_queries/describe.rq, run by the endpoint, equals the dereferenced description."""
    text = (REPO / "api" / "page_queries" / "describe.rq").read_text(encoding="utf-8")
    for path in ["edition/sh-fintech-2020/task/15", "source/sh-fintech-2020-text"]:
        bound = text.replace("WHERE {", f"WHERE {{\n  VALUES ?resource {{ <{BASE}{path}> }}", 1)
        via_sparql = requests.post(
            live_server.sparql,
            data={"query": bound},
            headers={"Accept": "application/n-triples"},
            timeout=30,
        )
        assert via_sparql.status_code == 200, via_sparql.text
        dereferenced = requests.get(f"{live_server.url}/{path}?format=nt", timeout=30)
        a, b = parse(via_sparql.content, "ntriples"), parse(dereferenced.content, "ntriples")
        assert len(a) == len(b) and to_isomorphic(a) == to_isomorphic(b)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_format_parameter_overrides_accept(live_server: Server, fmt: str) -> None:
    response = requests.get(
        f"{live_server.url}/zone/sh-lujiazui",
        params={"format": fmt},
        headers={"Accept": "text/html"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(FORMATS[fmt][0])
    assert len(parse(response.content, fmt)) > 5


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
        ("application/rdf+xml;q=0.1, text/turtle", "text/turtle"),
        ("application/n-triples, text/html;q=0.2", "application/n-triples"),
        (BROWSER_ACCEPT, "text/html"),
        ("*/*", "text/turtle"),
        ("text/*;q=0.3, application/json", "application/ld+json"),
    ],
)
def test_accept_q_values_choose_the_format(live_server: Server, accept: str, expected: str) -> None:
    response = requests.get(
        f"{live_server.url}/institution/pboc", headers={"Accept": accept}, timeout=30
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(expected)
    assert response.headers["Vary"].startswith("Accept")


def test_json_ld_carries_its_context_inline(live_server: Server) -> None:
    response = requests.get(
        f"{live_server.url}/edition/sh-fintech-2020/task/15",
        headers={"Accept": "application/ld+json"},
        timeout=30,
    )
    document = response.json()
    assert isinstance(document["@context"], dict), "the context must be inline, not a URL"
    assert document["@context"]["pg"] == str(PG)
    context = requests.get(f"{live_server.url}/context.jsonld", timeout=30).json()["@context"]
    assert document["@context"] == context
    # pyoxigraph reads it too, offline: the context needs no fetching.
    parsed = list(ox.parse(response.content, format=ox.RdfFormat.JSON_LD))
    assert len(parsed) == len(parse(response.content, "jsonld"))


def test_context_terms_name_exactly_the_ontology_terms(live_server: Server) -> None:
    context = requests.get(f"{live_server.url}/context.jsonld", timeout=30).json()["@context"]
    ontology = rdflib.Graph().parse(REPO / "ontology" / "plangraph.ttl")
    classes_and_properties = {
        str(s)
        for kind in (rdflib.OWL.Class, rdflib.OWL.ObjectProperty, rdflib.OWL.DatatypeProperty)
        for s in ontology.subjects(rdflib.RDF.type, kind)
        if str(s).startswith(str(PG))
    }
    terms = {
        name: context[value.split(":")[0]] + value.split(":", 1)[1]
        for name, value in context.items()
        if isinstance(value, str) and ":" in value and not value.startswith("http")
    }
    assert set(terms.values()) <= classes_and_properties
    named = {
        iri
        for iri in classes_and_properties
        if context.get(iri[len(str(PG)) :]) == "pg:" + iri[len(str(PG)) :]
    }
    # A local name that is also a prefix (pg:unit and the QUDT prefix unit:) stays a prefix.
    assert context["unit"] == "http://qudt.org/vocab/unit/"
    assert set(terms.values()) == named
    assert terms["Task"] == str(PG.Task) and terms["inEdition"] == str(PG.inEdition)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_ontology_term_resolves_to_the_ontology_document(live_server: Server, fmt: str) -> None:
    """pg:Task is a hash IRI: the client asks for /ontology and gets the whole ontology file."""
    iri = str(PG.Task)
    document_url = live_server.url + "/" + iri.split("#")[0][len(BASE) :]
    response = requests.get(document_url, headers={"Accept": FORMATS[fmt][0]}, timeout=30)
    assert response.status_code == 200
    answer = parse(response.content, fmt)
    expected = rdflib.Graph()
    for s, p, o in rdflib.Graph().parse(REPO / "ontology" / "plangraph.ttl"):
        expected.add((s, p, as_stored(o)))
    assert isomorphic(answer, expected)
    assert (rdflib.URIRef(iri), rdflib.RDF.type, rdflib.OWL.Class) in answer


def test_ontology_page_documents_every_term_with_an_anchor(live_server: Server) -> None:
    response = requests.get(f"{live_server.url}/ontology", headers={"Accept": "text/html"})
    assert response.status_code == 200
    html = response.text
    ontology = rdflib.Graph().parse(REPO / "ontology" / "plangraph.ttl")
    for term in set(ontology.subjects(rdflib.RDFS.isDefinedBy, None)):
        if str(term).startswith(str(PG)):
            assert f'id="{str(term)[len(str(PG)) :]}"' in html, term
    for label in ontology.objects(PG.Task, rdflib.RDFS.label):
        assert str(label) in html
    for definition in ontology.objects(PG.Task, rdflib.SKOS.definition):
        assert str(definition) in html


def test_version_iri_answers_the_ontology_too(live_server: Server) -> None:
    ontology = rdflib.Graph().parse(REPO / "ontology" / "plangraph.ttl")
    version = ontology.value(rdflib.URIRef(BASE + "ontology"), rdflib.OWL.versionIRI)
    assert str(version).startswith(BASE + "ontology/")
    response = requests.get(
        live_server.url + "/" + str(version)[len(BASE) :] + "?format=nt", timeout=30
    )
    assert response.status_code == 200
    assert (PG.Task, rdflib.RDF.type, rdflib.OWL.Class) in parse(response.content, "ntriples")


@pytest.mark.parametrize("accept", ["text/turtle", "text/html", "application/ld+json"])
def test_unknown_resource_is_404(live_server: Server, accept: str) -> None:
    response = requests.get(
        f"{live_server.url}/institution/no-such-body", headers={"Accept": accept}, timeout=30
    )
    assert response.status_code == 404
    assert "Accept" in response.headers["Vary"]
    assert "institution/no-such-body" in response.text


@pytest.mark.parametrize(
    ("accept", "params"),
    [
        ("image/png", {}),
        ("application/pdf, image/*;q=0.5", {}),
        ("text/html;q=0, text/turtle;q=0, */*;q=0", {}),
        ("text/turtle", {"format": "pdf"}),
    ],
)
def test_no_acceptable_format_is_406(live_server: Server, accept: str, params: dict) -> None:
    response = requests.get(
        f"{live_server.url}/edition/bj-jinke-2020",
        headers={"Accept": accept},
        params=params,
        timeout=30,
    )
    assert response.status_code == 406, response.text[:200]


def test_html_and_rdf_answers_both_vary_on_accept(live_server: Server) -> None:
    for accept in ("text/html", "text/turtle"):
        response = requests.get(
            f"{live_server.url}/edition/bj-jinke-2020", headers={"Accept": accept}, timeout=30
        )
        assert response.status_code == 200
        assert {v.strip() for v in response.headers["Vary"].split(",")} >= {"Accept"}
        assert 'rel="alternate"' in response.headers["Link"]


@pytest.mark.parametrize(
    "path",
    [
        "/sparql?query=ASK%7B%7D",
        "/queries",
        "/static/plangraph.css",
        "/static/vendor/yasgui/yasgui.min.js",
        "/context.jsonld",
        "/.well-known/void",
        "/dumps/plangraph.nt",
        "/ontology",
    ],
)
def test_routes_that_are_not_iris_still_answer(live_server: Server, path: str) -> None:
    response = requests.get(live_server.url + path, timeout=30)
    assert response.status_code == 200, (path, response.text[:200])


def test_public_base_maps_back_to_the_data_iris(server_factory: ServerFactory) -> None:
    public = "https://data.example.org/plangraph/"
    server = server_factory("--public-base", public)
    for path in ["/edition/sh-fintech-2020/task/15", "/plangraph/edition/sh-fintech-2020/task/15"]:
        response = requests.get(server.url + path + "?format=nt", timeout=30)
        assert response.status_code == 200, path
        graph = parse(response.content, "ntriples")
        # The data keeps its IRIs; only the address the server answers at changes.
        assert (rdflib.URIRef(BASE + "edition/sh-fintech-2020/task/15"), None, None) in graph
    page = requests.get(
        server.url + "/edition/sh-fintech-2020/task/15?lang=en",
        headers={"Accept": "text/html"},
        timeout=30,
    ).text
    assert public + "edition/sh-fintech-2020/task/15" in page
    void = rdflib.Graph().parse(
        data=requests.get(server.url + "/.well-known/void?format=ttl", timeout=30).content,
        format="turtle",
    )
    endpoint = void.value(
        rdflib.URIRef(BASE), rdflib.URIRef("http://rdfs.org/ns/void#sparqlEndpoint")
    )
    assert str(endpoint) == public + "sparql"


def test_home_for_programs_is_the_void_description(live_server: Server) -> None:
    response = requests.get(live_server.url + "/", headers={"Accept": "text/turtle"}, timeout=30)
    graph = parse(response.content, "turtle")
    assert (
        rdflib.URIRef(BASE),
        rdflib.RDF.type,
        rdflib.URIRef("http://rdfs.org/ns/void#Dataset"),
    ) in graph


def test_test_data_paths_exist() -> None:
    """The fixture paths these tests name are real (a rename must fail here, not skip)."""
    for path in ("ontology/plangraph.ttl", "api/page_queries/describe.rq"):
        assert Path(REPO / path).is_file()
