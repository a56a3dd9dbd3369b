"""Whole-dataset dumps and the VoID/DCAT description, read by parsers nobody here wrote.

Turtle, N-Triples and RDF/XML go through Raptor's `rapper` (Debian raptor2-utils; `make test`
installs it); TriG, N-Quads and JSON-LD through rdflib and pyoxigraph. The counts must equal the
store's: every quad for the formats that keep named graphs, every distinct triple for the rest.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests

from plangraph import export, store
from tests.conftest import PLANGRAPH, REPO, Server

BASE = "https://w3id.org/plangraph/"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
PG = rdflib.Namespace(BASE + "ontology#")
RAPPER_SYNTAX = {"turtle": "turtle", "ntriples": "ntriples", "rdfxml": "rdfxml"}
RAPPER = shutil.which("rapper")


@pytest.fixture(scope="module")
def shipped() -> store.GraphStore:
    return store.load([REPO / "ontology", REPO / "graph"])


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """`plangraph export` run once per format, as a user runs it."""
    folder = tmp_path_factory.mktemp("export")
    files = {}
    for key, dump in export.DUMPS.items():
        path = folder / dump.filename
        result = subprocess.run(
            [*PLANGRAPH, "export", "--format", key, "-o", str(path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        files[key] = path
    yield files


def rapper_count(path: Path, syntax: str) -> int:
    if RAPPER is None:
        pytest.skip(
            "SKIPPED LOUDLY: Raptor's `rapper` is not installed (Debian package raptor2-utils; "
            "`make system-deps` installs it) — Turtle/N-Triples/RDF-XML dumps NOT checked by an "
            "independent parser"
        )
    result = subprocess.run(
        [RAPPER, "-i", syntax, "-c", str(path), BASE],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    match = re.search(r"Parsing returned (\d+) triples", result.stderr)
    assert match, result.stderr
    return int(match.group(1))


@pytest.mark.parametrize("fmt", list(RAPPER_SYNTAX))
def test_triple_dump_parses_with_rapper_to_the_store_count(
    exported: dict[str, Path], shipped: store.GraphStore, fmt: str
) -> None:
    assert rapper_count(exported[fmt], RAPPER_SYNTAX[fmt]) == export.distinct_triples(shipped)


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_dataset_dump_keeps_every_quad_and_graph(
    exported: dict[str, Path], shipped: store.GraphStore, fmt: str
) -> None:
    dataset = rdflib.Dataset()
    dataset.parse(exported[fmt], format={"trig": "trig", "nquads": "nquads"}[fmt])
    graphs = {str(g.identifier): len(g) for g in dataset.graphs() if len(g)}
    assert graphs == {name: n for name, n in _per_graph(shipped).items()}
    assert sum(graphs.values()) == len(shipped.store)
    rdf_format = ox.RdfFormat.TRIG if fmt == "trig" else ox.RdfFormat.N_QUADS
    assert len(list(ox.parse(path=str(exported[fmt]), format=rdf_format))) == len(shipped.store)


def _per_graph(graph: store.GraphStore) -> dict[str, int]:
    counts: dict[str, int] = {}
    for quad in graph.store:
        counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
    return counts


def test_json_ld_dump_parses_offline_with_rdflib_and_pyoxigraph(
    exported: dict[str, Path], shipped: store.GraphStore
) -> None:
    path = exported["jsonld"]
    with_rdflib = rdflib.Graph().parse(path, format="json-ld")
    with_oxigraph = list(ox.parse(path=str(path), format=ox.RdfFormat.JSON_LD))
    assert len(with_rdflib) == len(with_oxigraph) == export.distinct_triples(shipped)


def test_json_ld_and_turtle_dumps_are_the_same_graph(exported: dict[str, Path]) -> None:
    a = rdflib.Graph().parse(exported["jsonld"], format="json-ld")
    b = rdflib.Graph().parse(exported["turtle"], format="turtle")
    assert len(a) == len(b) and canonical(a) == canonical(b)


@pytest.mark.parametrize("fmt", list(export.DUMPS))
def test_http_dump_equals_the_cli_export(
    live_server: Server, exported: dict[str, Path], fmt: str
) -> None:
    """The same data, though blank node labels differ between two loads of the files."""
    dump = export.DUMPS[fmt]
    response = requests.get(f"{live_server.url}/dumps/{dump.filename}", timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(dump.media_type)
    if dump.keeps_graphs:
        rdf_format = ox.RdfFormat.TRIG if fmt == "trig" else ox.RdfFormat.N_QUADS
        served = list(ox.parse(response.content, format=rdf_format))
        on_disk = list(ox.parse(path=str(exported[fmt]), format=rdf_format))
        assert len(served) == len(on_disk)
        assert _ground(served) == _ground(on_disk)
    else:
        syntax = {"turtle": "turtle", "jsonld": "json-ld", "rdfxml": "xml", "ntriples": "nt"}[fmt]
        served_graph = rdflib.Graph().parse(data=response.content, format=syntax)
        assert canonical(served_graph) == canonical(
            rdflib.Graph().parse(exported[fmt], format=syntax)
        )


def canonical(graph: rdflib.Graph) -> set[str]:
    """A graph read by rdflib, with its blank nodes canonically relabelled (by pyoxigraph's
    RDF canonicalisation: rdflib's own isomorphism test takes ~45 s on this dataset)."""
    triples = ox.parse(
        graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES
    )
    dataset = ox.Dataset(triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {str(q) for q in dataset}


def _ground(quads: list[ox.Quad]) -> set[ox.Quad]:
    return {
        q
        for q in quads
        if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)
    }


def test_http_dump_parses_with_rapper(live_server: Server, tmp_path: Path) -> None:
    path = tmp_path / "served.ttl"
    path.write_bytes(requests.get(f"{live_server.url}/dumps/plangraph.ttl", timeout=60).content)
    nt = requests.get(f"{live_server.url}/dumps/plangraph.nt", timeout=60).content
    assert rapper_count(path, "turtle") == len(nt.strip().splitlines())


def test_dump_is_cached_with_an_etag(live_server: Server) -> None:
    first = requests.get(f"{live_server.url}/dumps/plangraph.nq", timeout=60)
    again = requests.get(
        f"{live_server.url}/dumps/plangraph.nq",
        headers={"If-None-Match": first.headers["ETag"]},
        timeout=60,
    )
    assert again.status_code == 304


def test_unknown_dump_is_404(live_server: Server) -> None:
    response = requests.get(f"{live_server.url}/dumps/plangraph.xlsx", timeout=30)
    assert response.status_code == 404
    assert "plangraph.trig" in response.text


def test_export_to_an_unwritable_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [*PLANGRAPH, "export", "-f", "turtle", "-o", str(tmp_path / "no" / "such" / "x.ttl")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_export_to_stdout(shipped: store.GraphStore) -> None:
    result = subprocess.run(
        [*PLANGRAPH, "export", "-f", "ntriples"], cwd=REPO, capture_output=True, timeout=120
    )
    assert result.returncode == 0
    assert len(result.stdout.strip().splitlines()) == export.distinct_triples(shipped)


# --- VoID and DCAT -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def void(live_server: Server) -> rdflib.Graph:
    response = requests.get(
        f"{live_server.url}/.well-known/void", headers={"Accept": "text/turtle"}, timeout=30
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    return rdflib.Graph().parse(data=response.content, format="turtle")


def test_void_states_title_description_publisher_and_licence(void: rdflib.Graph) -> None:
    dataset = rdflib.URIRef(BASE)
    assert (dataset, rdflib.RDF.type, VOID.Dataset) in void
    assert (dataset, rdflib.RDF.type, DCAT.Dataset) in void
    titles = {t.language for t in void.objects(dataset, rdflib.DCTERMS.title)}
    assert titles == {"zh", "en"}
    assert {d.language for d in void.objects(dataset, rdflib.DCTERMS.description)} == {"zh", "en"}
    publisher = void.value(dataset, rdflib.DCTERMS.publisher)
    assert publisher is not None and void.value(publisher, rdflib.FOAF.name) is not None
    licence = void.value(dataset, rdflib.DCTERMS.license)
    assert str(licence) == "https://creativecommons.org/licenses/by/4.0/"


def test_void_counts_equal_the_store(void: rdflib.Graph, shipped: store.GraphStore) -> None:
    dataset = rdflib.URIRef(BASE)
    assert int(void.value(dataset, VOID.triples)) == export.distinct_triples(shipped)
    subsets = {
        str(void.value(s, SD.name)): int(void.value(s, VOID.triples))
        for s in void.objects(dataset, VOID.subset)
    }
    assert subsets == _per_graph(shipped)
    rdf_type = ox.NamedNode(str(rdflib.RDF.type))
    tasks = len(
        {q.subject for q in shipped.store.quads_for_pattern(None, rdf_type, ox.NamedNode(PG.Task))}
    )
    classes = {
        str(void.value(p, VOID["class"])): int(void.value(p, VOID.entities))
        for p in void.objects(dataset, VOID.classPartition)
    }
    assert classes[str(PG.Task)] == tasks
    properties = {
        str(void.value(p, VOID.property)): int(void.value(p, VOID.triples))
        for p in void.objects(dataset, VOID.propertyPartition)
    }
    assert properties[str(PG.text)] == len(
        {
            (q.subject, q.object)
            for q in shipped.store.quads_for_pattern(None, ox.NamedNode(PG.text), None)
        }
    )


def test_void_endpoint_and_dumps_answer(void: rdflib.Graph, live_server: Server) -> None:
    dataset = rdflib.URIRef(BASE)
    endpoint = str(void.value(dataset, VOID.sparqlEndpoint))
    assert endpoint == live_server.url + "/sparql"
    assert requests.get(endpoint, params={"query": "ASK {}"}, timeout=30).status_code == 200
    dumps = {str(d) for d in void.objects(dataset, VOID.dataDump)}
    assert dumps == {f"{live_server.url}/dumps/{d.filename}" for d in export.DUMPS.values()}
    for url in dumps:
        assert requests.head(url, timeout=60).status_code == 200, url
    media = {
        str(void.value(d, DCAT.mediaType)).rsplit("media-types/", 1)[-1]
        for d in void.objects(dataset, DCAT.distribution)
    }
    assert media == {d.media_type for d in export.DUMPS.values()}
    service = void.value(dataset, DCAT.accessService)
    assert str(void.value(service, DCAT.endpointURL)) == endpoint


@pytest.mark.parametrize("fmt", ["application/ld+json", "application/rdf+xml", "text/html"])
def test_void_in_other_formats(live_server: Server, fmt: str) -> None:
    response = requests.get(
        f"{live_server.url}/.well-known/void", headers={"Accept": fmt}, timeout=30
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(fmt)
    assert "Accept" in response.headers["Vary"]


def test_home_page_links_to_void(live_server: Server) -> None:
    html = requests.get(live_server.url + "/", headers={"Accept": "text/html"}, timeout=30).text
    assert 'href="/.well-known/void' in html
