"""Put the loaded dataset into a remote SPARQL engine, one named graph at a time.

What goes is what `plangraph serve` would serve (the files, their shortcuts materialised), each
graph with its blank nodes skolemised into stable `<base>.well-known/genid/…` IRIs: an engine's
INSERT DATA refuses blank nodes or renames them, and a re-load must not duplicate them. Each
graph is canonicalised (RDFC-1.0) first, so the same content gives the same IRIs and the same
content hash; the hashes are kept in a manifest graph on the engine, and a graph whose hash is
unchanged is not sent again. A graph goes by the Graph Store Protocol (PUT) when the engine has
one, else as DROP + INSERT DATA in batches of 1,000 triples (Virtuoso fails on one INSERT of
12,000 triples).
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from plangraph.remote import (
    DECLARE,
    IDENTIFIER,
    MANIFEST_GRAPH,
    N_TRIPLES,
    SH_NAMESPACE,
    SH_PREFIX,
    Endpoint,
    RemoteStore,
    request,
)
from plangraph.store import GENID, GraphStore

BATCH = 1000


@dataclass
class LoadReport:
    sent: list[str] = field(default_factory=list)  # graphs (re)loaded
    unchanged: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # in the manifest, gone from the data
    triples: int = 0  # triples sent
    method: str = ""  # "graph store" or "insert data"


def skolemised_graphs(graph: GraphStore) -> dict[str, list[ox.Triple]]:
    """Each named graph's triples, canonicalised, blank nodes replaced by stable IRIs."""
    by_graph: dict[str, list[ox.Quad]] = defaultdict(list)
    for quad in graph.store:
        if isinstance(quad.graph_name, ox.NamedNode):
            by_graph[quad.graph_name.value].append(quad)
    return {name: skolemise(name, quads) for name, quads in sorted(by_graph.items())}


def skolemise(name: str, quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    dataset = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    triples = sorted((ox.Triple(q.subject, q.predicate, q.object) for q in dataset), key=str)
    # the canonical labels (c14n0, c14n1 …) are only unique within this content: the IRI
    # carries the graph and its canonical content too
    salt = hashlib.sha256(name.encode() + b"\n" + _ntriples(triples)).hexdigest()[:16]

    def iri(term: object) -> object:
        if isinstance(term, ox.BlankNode):
            digest = hashlib.sha256(f"{salt}/{term.value}".encode()).hexdigest()[:24]
            return ox.NamedNode(GENID + digest)
        return term

    return sorted(
        (ox.Triple(iri(t.subject), t.predicate, iri(t.object)) for t in triples),  # type: ignore[arg-type]
        key=str,
    )


def content_hash(triples: list[ox.Triple]) -> str:
    return "sha256:" + hashlib.sha256(_ntriples(triples)).hexdigest()


def load_to(
    graph: GraphStore,
    endpoint: Endpoint,
    *,
    progress: Callable[[str], None] | None = None,
) -> LoadReport:
    """Make the engine hold exactly our graphs; unchanged ones (by content hash) are skipped."""
    say = progress or (lambda _: None)
    remote = RemoteStore(endpoint, graphs=[])
    remote._discover()  # reads the manifest's hashes and prefixes
    had = dict(remote.hashes)
    graphs = skolemised_graphs(graph)
    hashes = {name: content_hash(triples) for name, triples in graphs.items()}
    report = LoadReport(method="graph store" if endpoint.graph_store_url else "insert data")
    report.unchanged = [g for g in graphs if had.get(g) == hashes[g]]
    changed = [g for g in graphs if had.get(g) != hashes[g]]
    report.dropped = sorted(set(had) - set(graphs))
    if not changed and not report.dropped and remote.prefixes == graph.prefixes:
        return report
    # the manifest first forgets what is about to change: a load cut short is redone next time
    kept = {g: h for g, h in had.items() if g in graphs and g not in changed}
    _put(endpoint, MANIFEST_GRAPH, _manifest(kept, graph.prefixes))
    for name in report.dropped:
        say(f"dropping {name}")
        _drop(endpoint, name)
    for name in changed:
        say(f"loading {name} ({len(graphs[name])} triples)")
        _put(endpoint, name, graphs[name])
        report.sent.append(name)
        report.triples += len(graphs[name])
    _put(endpoint, MANIFEST_GRAPH, _manifest(hashes, graph.prefixes))
    return report


def skolemised_dataset(graph: GraphStore) -> list[ox.Quad]:
    """What `load_to` puts in an engine, manifest included, as quads: for engines that build
    their index from a file (QLever), so plangraph reads them as it reads a loaded engine."""
    graphs = skolemised_graphs(graph)
    hashes = {name: content_hash(triples) for name, triples in graphs.items()}
    graphs[MANIFEST_GRAPH] = _manifest(hashes, graph.prefixes)
    return [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(name))
        for name, triples in graphs.items()
        for t in triples
    ]


def _manifest(hashes: dict[str, str], prefixes: dict[str, str]) -> list[ox.Triple]:
    manifest = ox.NamedNode(MANIFEST_GRAPH)
    triples = [ox.Triple(ox.NamedNode(g), IDENTIFIER, ox.Literal(h)) for g, h in hashes.items()]
    for name, namespace in sorted(prefixes.items()):
        node = ox.NamedNode(f"{MANIFEST_GRAPH}#prefix-{name}")
        triples += [
            ox.Triple(manifest, DECLARE, node),
            ox.Triple(node, SH_PREFIX, ox.Literal(name)),
            ox.Triple(node, SH_NAMESPACE, ox.Literal(namespace)),
        ]
    return triples


def _put(endpoint: Endpoint, name: str, triples: list[ox.Triple]) -> None:
    """Replace one named graph's content."""
    timeout = max(endpoint.timeout, 300.0)
    if endpoint.graph_store_url:
        url = _with_graph(endpoint.graph_store_url, name)
        request(url, method="PUT", body=_ntriples(triples), content_type=N_TRIPLES, timeout=timeout)
        return
    _drop(endpoint, name)
    for start in range(0, len(triples), BATCH):
        body = _ntriples(triples[start : start + BATCH]).decode("utf-8")
        _update(endpoint, f"INSERT DATA {{ GRAPH <{name}> {{\n{body}}} }}", timeout)


def _drop(endpoint: Endpoint, name: str) -> None:
    if endpoint.graph_store_url:
        url = _with_graph(endpoint.graph_store_url, name)
        # PUT of nothing empties a graph everywhere; DELETE of a missing one is a 404 on some
        request(url, method="PUT", body=b"", content_type=N_TRIPLES, timeout=endpoint.timeout)
        return
    _update(endpoint, f"DROP SILENT GRAPH <{name}>", endpoint.timeout)


def _update(endpoint: Endpoint, text: str, timeout: float) -> None:
    url = endpoint.update_url or endpoint.query_url
    request(url, [("update", text)], timeout=timeout)


def _with_graph(url: str, name: str) -> str:
    import urllib.parse

    return f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode({'graph': name})}"


def _ntriples(triples: list[ox.Triple]) -> bytes:
    out = io.BytesIO()
    ox.serialize(triples, out, ox.RdfFormat.N_TRIPLES)
    return out.getvalue()
