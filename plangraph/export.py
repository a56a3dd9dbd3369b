"""Whole-dataset dumps: TriG and N-Quads keep the named graphs, the triple formats merge them.

`plangraph export` and `GET /dumps/<file>` both call `export()`. A triple stated in several
graphs (a basis document cited by two editions) appears once in a merged dump, so a merged dump
holds `distinct_triples()` triples and a dataset dump `len(store)` quads.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from plangraph import jsonld
from plangraph.errors import InputError, quote
from plangraph.files import write_atomically
from plangraph.store import GraphStore


@dataclass(frozen=True)
class DumpFormat:
    key: str
    filename: str
    media_type: str
    rdf_format: ox.RdfFormat
    keeps_graphs: bool
    title: str


DUMPS: dict[str, DumpFormat] = {
    f.key: f
    for f in (
        DumpFormat("trig", "plangraph.trig", "application/trig", ox.RdfFormat.TRIG, True, "TriG"),
        DumpFormat(
            "nquads", "plangraph.nq", "application/n-quads", ox.RdfFormat.N_QUADS, True, "N-Quads"
        ),
        DumpFormat("turtle", "plangraph.ttl", "text/turtle", ox.RdfFormat.TURTLE, False, "Turtle"),
        DumpFormat(
            "jsonld",
            "plangraph.jsonld",
            "application/ld+json",
            ox.RdfFormat.JSON_LD,
            False,
            "JSON-LD",
        ),
        DumpFormat(
            "rdfxml",
            "plangraph.rdf",
            "application/rdf+xml",
            ox.RdfFormat.RDF_XML,
            False,
            "RDF/XML",
        ),
        DumpFormat(
            "ntriples",
            "plangraph.nt",
            "application/n-triples",
            ox.RdfFormat.N_TRIPLES,
            False,
            "N-Triples",
        ),
    )
}
BY_FILENAME = {f.filename: f for f in DUMPS.values()}


def export(graph: GraphStore, fmt: str, output: BinaryIO, *, base_iri: str | None = None) -> int:
    """Write the dataset in `fmt` (a key of DUMPS); returns the number of quads or triples."""
    dump = DUMPS.get(fmt)
    if dump is None:
        raise InputError(f"unknown export format {quote(fmt)}; use one of {', '.join(DUMPS)}")
    if dump.keeps_graphs:
        quads = sorted(graph.store, key=_quad_key)
        ox.serialize(quads, output, dump.rdf_format, prefixes=_prefixes(graph, dump))
        return len(quads)
    triples = merged_triples(graph)
    output.write(serialize_triples(triples, fmt, graph, base_iri=base_iri))
    return len(triples)


def export_file(graph: GraphStore, fmt: str, path: Path, *, base_iri: str | None = None) -> int:
    """Write the dump to `path` whole or not at all, with the mode `open()` would give it."""
    counted: list[int] = []
    write_atomically(path, lambda out: counted.append(export(graph, fmt, out, base_iri=base_iri)))
    return counted[0]


def export_bytes(graph: GraphStore, fmt: str, *, base_iri: str | None = None) -> bytes:
    out = io.BytesIO()
    export(graph, fmt, out, base_iri=base_iri)
    return out.getvalue()


def serialize_triples(
    triples: list[ox.Triple],
    fmt: str,
    graph: GraphStore,
    *,
    base_iri: str | None = None,
    context: dict[str, object] | None = None,
    prefixes: dict[str, str] | None = None,
) -> bytes:
    """Triples in one of the triple formats; JSON-LD carries the ontology's context inline."""
    if fmt == "jsonld":
        if context is None:
            context = jsonld.context(graph, *([base_iri] if base_iri else []))
        return jsonld.dumps(triples, context)
    dump = DUMPS[fmt]
    out = io.BytesIO()
    if prefixes is None:
        prefixes = _prefixes(graph, dump)
    elif dump.rdf_format == ox.RdfFormat.N_TRIPLES:
        prefixes = None
    if prefixes:
        prefixes = used_prefixes(triples, prefixes)
    ox.serialize(triples, out, dump.rdf_format, prefixes=prefixes or None)
    return out.getvalue()


def used_prefixes(triples: list[ox.Triple], prefixes: dict[str, str]) -> dict[str, str]:
    """Only the prefixes some IRI of the triples starts with, so a short answer stays short."""
    iris = {
        term.value
        for t in triples
        for term in (t.subject, t.predicate, t.object, getattr(t.object, "datatype", None))
        if isinstance(term, ox.NamedNode)
    }
    namespaces = {
        iri.rsplit("#", 1)[0] + "#" if "#" in iri else iri.rsplit("/", 1)[0] + "/" for iri in iris
    }
    return {
        name: ns
        for name, ns in prefixes.items()
        if ns in namespaces or any(iri.startswith(ns) for iri in iris)
    }


def merged_triples(graph: GraphStore) -> list[ox.Triple]:
    """Every distinct triple of every graph, in a stable order (subjects grouped for Turtle)."""
    triples = dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in graph.store)
    return sorted(triples, key=_triple_key)


def distinct_triples(graph: GraphStore) -> int:
    return len({ox.Triple(q.subject, q.predicate, q.object) for q in graph.store})


def _prefixes(graph: GraphStore, dump: DumpFormat) -> dict[str, str] | None:
    if dump.rdf_format in {ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML}:
        return graph.prefixes or None
    return None


def _triple_key(t: ox.Triple) -> tuple[str, str, str]:
    return (str(t.subject), str(t.predicate), str(t.object))


def _quad_key(q: ox.Quad) -> tuple[str, str, str, str]:
    return (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))
