"""The JSON-LD `@context` of the ontology, and JSON-LD written against it.

The context is generated from the ontology file itself: its declared prefixes, `pgr:` for the data
IRIs, and one term per class and property the ontology defines (`rdfs:isDefinedBy`), named by its
local name (`Task`, `inEdition`). Terms carry no type coercion or containers, so compacting is a
plain renaming of IRIs and cannot lose information; every value keeps its `@language` or `@type`.
Documents carry the context inline, so they parse without fetching anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from plangraph.config import BASE_IRI
from plangraph.store import GraphStore, parse_file

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
IS_DEFINED_BY = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#isDefinedBy")
TERM_TYPES = {
    "http://www.w3.org/2002/07/owl#Class",
    "http://www.w3.org/2000/01/rdf-schema#Class",
    "http://www.w3.org/2002/07/owl#ObjectProperty",
    "http://www.w3.org/2002/07/owl#DatatypeProperty",
    "http://www.w3.org/2002/07/owl#AnnotationProperty",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property",
}


def ontology_iri(base_iri: str = BASE_IRI) -> str:
    return base_iri + "ontology"


def context(graph: GraphStore, base_iri: str = BASE_IRI) -> dict[str, object]:
    """The `@context` object: prefixes first, then terms (a term never shadows a prefix)."""
    ontology = ox.NamedNode(ontology_iri(base_iri))
    ctx: dict[str, object] = {}
    for name, iri in sorted(ontology_prefixes(graph, base_iri).items()):
        if name:
            ctx[name] = iri
    ctx.setdefault("pgr", base_iri)
    namespaces = sorted(
        (iri for iri in ctx.values() if isinstance(iri, str)), key=len, reverse=True
    )
    terms: dict[str, str] = {}
    typed = {
        quad.subject.value
        for quad in graph.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None, ontology)
        if isinstance(quad.subject, ox.NamedNode) and quad.object.value in TERM_TYPES
    }
    for quad in graph.store.quads_for_pattern(None, IS_DEFINED_BY, ontology, ontology):
        iri = quad.subject.value
        if iri not in typed:
            continue  # individuals (pg:AtLeast, pgu:jia) are values, never keys
        namespace = next((ns for ns in namespaces if iri.startswith(ns)), None)
        if namespace is None:
            continue
        local = iri[len(namespace) :]
        if local and local not in ctx and local.isidentifier():
            terms[local] = iri
    prefixes = _Compactor(ctx)
    for local in sorted(terms):
        ctx[local] = prefixes.iri(terms[local], use_terms=False)
    return ctx


def ontology_prefixes(graph: GraphStore, base_iri: str = BASE_IRI) -> dict[str, str]:
    """The prefixes the ontology file declares (re-read from it: the store keeps only the union)."""
    prefixes: dict[str, str] = {}
    for loaded in graph.files:
        if loaded.graph == ontology_iri(base_iri) and Path(loaded.path).is_file():
            parse_file(Path(loaded.path), prefixes)
    return prefixes


def document(triples: Iterable[ox.Triple], ctx: dict[str, object]) -> dict[str, object]:
    """Triples as a flat, compacted JSON-LD document with the context inline."""
    compact = _Compactor(ctx)
    nodes: dict[str, dict[str, object]] = {}
    for triple in triples:
        subject = compact.node(triple.subject)
        node = nodes.setdefault(subject, {"@id": subject})
        if triple.predicate.value == RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            _add(node, "@type", compact.iri(triple.object.value, use_terms=True))
            continue
        key = compact.iri(triple.predicate.value, use_terms=True)
        _add(node, key, compact.value(triple.object))
    graph = [nodes[key] for key in sorted(nodes)]
    return {"@context": ctx, "@graph": graph}


def dumps(triples: Iterable[ox.Triple], ctx: dict[str, object]) -> bytes:
    return (json.dumps(document(triples, ctx), ensure_ascii=False, indent=1) + "\n").encode()


def _add(node: dict[str, object], key: str, value: object) -> None:
    if key not in node:
        node[key] = value
        return
    current = node[key]
    if isinstance(current, list):
        current.append(value)
    else:
        node[key] = [current, value]


class _Compactor:
    """Terms, else `prefix:local` by the longest matching namespace, else the IRI itself."""

    def __init__(self, ctx: dict[str, object]) -> None:
        self.expanded_terms = {
            _expand(v, ctx): k for k, v in ctx.items() if isinstance(v, str) and v[-1:] not in "/#"
        }
        # Only namespaces ending in a gen-delim may act as prefixes (JSON-LD 1.1, 4.1.3).
        self.namespaces = sorted(
            ((k, v) for k, v in ctx.items() if isinstance(v, str) and v[-1:] in "/#"),
            key=lambda kv: len(kv[1]),
            reverse=True,
        )
        self.cache: dict[tuple[str, bool], str] = {}

    def iri(self, iri: str, *, use_terms: bool) -> str:
        key = (iri, use_terms)
        if key not in self.cache:
            self.cache[key] = self._iri(iri, use_terms)
        return self.cache[key]

    def _iri(self, iri: str, use_terms: bool) -> str:
        if use_terms and iri in self.expanded_terms:
            return self.expanded_terms[iri]
        for name, namespace in self.namespaces:
            if iri.startswith(namespace):
                local = iri[len(namespace) :]
                if local and not local.startswith("//"):
                    return f"{name}:{local}"
        return iri

    def node(self, term: ox.NamedNode | ox.BlankNode | ox.Triple) -> str:
        if isinstance(term, ox.BlankNode):
            return "_:" + term.value
        if isinstance(term, ox.NamedNode):
            return self.iri(term.value, use_terms=False)
        raise ValueError("RDF-star triple terms are not written as JSON-LD here")

    def value(self, term: object) -> object:
        if isinstance(term, ox.Literal):
            if term.language:
                return {"@value": term.value, "@language": term.language}
            if term.datatype.value == XSD_STRING:
                return term.value
            return {"@value": term.value, "@type": self.iri(term.datatype.value, use_terms=False)}
        return {"@id": self.node(term)}  # type: ignore[arg-type]


def _expand(value: str, ctx: dict[str, object]) -> str:
    prefix, sep, local = value.partition(":")
    namespace = ctx.get(prefix)
    if sep and isinstance(namespace, str) and not local.startswith("//"):
        return namespace + local
    return value
