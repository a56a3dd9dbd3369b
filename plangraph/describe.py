"""A resource's description: what the dataset says about it, what it links to, what links to it.

This is what a dereferenced IRI answers with (HTML and RDF alike), computed on the in-process
store with `quads_for_pattern`, so a page never waits for a query worker. The description is a
symmetric concise bounded description plus the labels of its neighbours:

- every triple whose subject is the resource, with the blank nodes it reaches closed over (its
  `pg:evidence` spans with their quotes and offsets);
- every triple whose object is the resource; when that triple's subject is a blank node (a span
  citing a source document), the blank node's own triples and the path up to the IRI that owns
  it, so nothing in the answer dangles;
- the labels (`rdfs:label`, `skos:prefLabel`) of every other IRI named in those triples, so a
  reader can show names without asking again.

A triple stated in several named graphs (a basis document cited by two editions) is given once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from plangraph.store import GENID, GraphStore

RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
LABEL_PREDICATES = (RDFS_LABEL, SKOS_PREF_LABEL)
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

Subject = ox.NamedNode | ox.BlankNode


def is_blank(term: object) -> bool:
    """A blank node, or a skolem IRI standing for one (a remote engine holds those instead)."""
    return isinstance(term, ox.BlankNode) or (
        isinstance(term, ox.NamedNode) and term.value.startswith(GENID)
    )


@dataclass
class Description:
    """The parts of one resource's description, each a list of distinct triples in stable order."""

    iri: str
    own: list[ox.Triple] = field(default_factory=list)
    inbound: list[ox.Triple] = field(default_factory=list)
    labels: list[ox.Triple] = field(default_factory=list)

    def __bool__(self) -> bool:
        """A resource the dataset never mentions has no description (HTTP 404)."""
        return bool(self.own or self.inbound)

    @property
    def triples(self) -> list[ox.Triple]:
        """All parts together, each triple once: what the RDF formats serialise."""
        return list(dict.fromkeys([*self.own, *self.inbound, *self.labels]))

    def types(self) -> list[str]:
        node = ox.NamedNode(self.iri)
        return [
            t.object.value
            for t in self.own
            if t.subject == node and t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode)
        ]


def describe(graph: GraphStore, iri: str) -> Description:
    """The description of `iri` over the union of all named graphs (empty if never mentioned)."""
    store = graph.store
    node = ox.NamedNode(iri)
    own = _closure(store, [node])
    inbound: dict[ox.Triple, None] = {}
    for triple in _triples(store, None, None, node):
        inbound[triple] = None
        if is_blank(triple.subject):
            for extra in _owners(store, triple.subject):
                inbound[extra] = None
            for extra in _closure(store, [triple.subject]):
                inbound[extra] = None
    neighbours = {
        term
        for t in (*own, *inbound)
        for term in (t.subject, t.object)
        if isinstance(term, ox.NamedNode) and term != node and not is_blank(term)
    }
    prefetch = getattr(store, "prefetch", None)  # a remote store: the labels in one request
    if prefetch is not None:
        prefetch(sorted(neighbours, key=str), LABEL_PREDICATES)
    own_set = set(own)
    inbound_only = [t for t in inbound if t not in own_set]
    stated = own_set | set(inbound_only)
    labels = [
        t
        for term in neighbours
        for predicate in LABEL_PREDICATES
        for t in _triples(store, term, predicate, None)
        if t not in stated
    ]
    return Description(iri, own=_sorted(own), inbound=_sorted(inbound_only), labels=_sorted(labels))


def label_map(graph: GraphStore) -> dict[str, dict[str, str]]:
    """Every IRI's labels by language tag ("" for none), `skos:prefLabel` before `rdfs:label`.

    One pass over the label triples; pages call it once and keep it (the data is read-only)."""
    labels: dict[str, dict[str, str]] = {}
    for predicate in reversed(LABEL_PREDICATES):
        for quad in graph.store.quads_for_pattern(None, predicate, None, None):
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
                lang = (quad.object.language or "").lower()
                labels.setdefault(quad.subject.value, {})[lang] = quad.object.value
    return labels


def _closure(store: ox.Store, start: Iterable[Subject]) -> list[ox.Triple]:
    """The triples of the start nodes and of every blank node reachable from them."""
    seen: set[Subject] = set()
    todo = list(start)
    out: dict[ox.Triple, None] = {}
    while todo:
        subject = todo.pop()
        if subject in seen:
            continue
        seen.add(subject)
        for triple in _triples(store, subject, None, None):
            out[triple] = None
            if is_blank(triple.object):
                todo.append(triple.object)
    return list(out)


def _owners(store: ox.Store, blank: ox.BlankNode) -> Iterator[ox.Triple]:
    """The triples leading from an IRI down to this blank node (usually one: owner → span)."""
    seen: set[ox.BlankNode] = set()
    todo = [blank]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for triple in _triples(store, None, None, current):
            yield triple
            if is_blank(triple.subject):
                todo.append(triple.subject)


def _triples(
    store: ox.Store,
    subject: Subject | None,
    predicate: ox.NamedNode | None,
    obj: ox.NamedNode | ox.BlankNode | ox.Literal | None,
) -> Iterator[ox.Triple]:
    for quad in store.quads_for_pattern(subject, predicate, obj, None):
        yield ox.Triple(quad.subject, quad.predicate, quad.object)


def _sorted(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    unique = dict.fromkeys(triples)
    return sorted(unique, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
