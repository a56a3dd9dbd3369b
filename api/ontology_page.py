"""The ontology's documentation page, generated from the ontology file's own triples.

Classes, properties and individuals are found by their `rdf:type`; each shows its labels and
definitions in both languages, its synonyms (`skos:altLabel`, the cue words the ingestion tool
tags by), its place in the hierarchy, domain and range, and its alignments to other vocabularies.
Nothing here restates the ontology: a term added to the file appears on the next start.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from . import pages, site
from .site import RDF, RDFS

OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
VANN = "http://purl.org/vocab/vann/"
PG = "https://w3id.org/plangraph/ontology#"
KINDS = [
    ("classes", OWL + "Class", "类", "Classes"),
    ("object", OWL + "ObjectProperty", "对象属性", "Object properties"),
    ("datatype", OWL + "DatatypeProperty", "数据属性", "Datatype properties"),
    ("individuals", OWL + "NamedIndividual", "个体", "Individuals"),
]
ALIGNMENTS = [
    SKOS + "exactMatch",
    SKOS + "closeMatch",
    SKOS + "broadMatch",
    SKOS + "narrowMatch",
    SKOS + "relatedMatch",
    OWL + "equivalentClass",
    OWL + "equivalentProperty",
]


@dataclass
class TermDoc:
    iri: str
    anchor: str
    props: dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]] = field(
        default_factory=lambda: defaultdict(list)
    )
    subterms: list[str] = field(default_factory=list)

    def literals(self, predicate: str, lang: str) -> list[str]:
        return [
            o.value
            for o in self.props.get(predicate, [])
            if isinstance(o, ox.Literal) and (o.language or "") == lang
        ]

    def iris(self, predicate: str) -> list[str]:
        return [o.value for o in self.props.get(predicate, []) if isinstance(o, ox.NamedNode)]

    def types(self) -> list[str]:
        return self.iris(RDF + "type")


def render(ontology_iri: str, triples: list[ox.Triple]) -> str:
    by_subject: dict[str, TermDoc] = {}
    for triple in triples:
        if not isinstance(triple.subject, ox.NamedNode):
            continue
        iri = triple.subject.value
        doc = by_subject.setdefault(iri, TermDoc(iri, _anchor(iri, ontology_iri)))
        doc.props[triple.predicate.value].append(triple.object)
    header = by_subject.pop(ontology_iri, TermDoc(ontology_iri, ""))
    for doc in by_subject.values():
        for parent in doc.iris(RDFS + "subClassOf") + doc.iris(RDFS + "subPropertyOf"):
            if parent in by_subject:
                by_subject[parent].subterms.append(doc.iri)
    sections = []
    placed: set[str] = set()
    for key, type_iri, zh, en in KINDS:
        members = sorted(
            (d for d in by_subject.values() if type_iri in d.types() and d.iri not in placed),
            key=lambda d: d.anchor.lower(),
        )
        placed.update(d.iri for d in members)
        sections.append((key, zh, en, members))
    namespace = (header.literals(VANN + "preferredNamespaceUri", "") or [PG])[0]
    prefix = (header.literals(VANN + "preferredNamespacePrefix", "") or ["pg"])[0]
    return pages.render(
        "ontology.html",
        None,
        crumbs=[],
        header=header,
        sections=sections,
        namespace=namespace,
        prefix=prefix,
        ontology_iri=ontology_iri,
        alignments=ALIGNMENTS,
        term_count=sum(len(s[3]) for s in sections),
        P={
            "label": RDFS + "label",
            "definition": SKOS + "definition",
            "alt": SKOS + "altLabel",
            "comment": RDFS + "comment",
            "sub_class": RDFS + "subClassOf",
            "sub_property": RDFS + "subPropertyOf",
            "domain": RDFS + "domain",
            "range": RDFS + "range",
            "type": RDF + "type",
            "title": DCTERMS + "title",
            "description": DCTERMS + "description",
            "license": DCTERMS + "license",
            "creator": DCTERMS + "creator",
            "version": OWL + "versionInfo",
            "version_iri": OWL + "versionIRI",
        },
        in_ontology=lambda iri: iri in by_subject,
        anchor=lambda iri: by_subject[iri].anchor if iri in by_subject else "",
        site=site,
    )


def _anchor(iri: str, ontology_iri: str) -> str:
    """`Task` for pg:Task (the fragment the hash IRI already names); `unit-jia` for pgu:jia."""
    if iri.startswith(ontology_iri + "#"):
        return iri[len(ontology_iri) + 1 :]
    return iri.rstrip("/").rsplit("/", 2)[-2] + "-" + iri.rstrip("/").rsplit("/", 1)[-1]
