"""The VoID and DCAT description of the dataset: what graph/dataset.ttl states (title,
description, publisher, licence) plus what only the server knows (counts, endpoint, dump URLs).

The counts come from `plangraph.stats` (SPARQL over the loaded store); the URLs are where this
server answers, under `public_base` when one is configured.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyoxigraph as ox
from flask import request

from plangraph.describe import describe
from plangraph.export import DUMPS, distinct_triples, export_bytes

from .state import state

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
IANA = "http://www.iana.org/assignments/media-types/"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
SPDX = "http://spdx.org/rdf/terms#"
PREFIXES = {"void": VOID, "dcat": DCAT, "dcterms": DCTERMS, "sd": SD, "spdx": SPDX}


def dataset_iri() -> str:
    return state().config.base_iri


def public_url(path: str) -> str:
    """An address on this server, as the outside world reaches it."""
    base = state().config.public_base or request.url_root
    return base.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class Links:
    endpoint: str
    void: str
    dumps: dict[str, str]  # format key → URL


def links() -> Links:
    return Links(
        endpoint=public_url("sparql"),
        void=public_url(".well-known/void"),
        dumps={key: public_url("dumps/" + d.filename) for key, d in DUMPS.items()},
    )


def dump_bytes(key: str) -> bytes:
    """One dump's bytes, made once per generation of the data (shared with /dumps/<file>)."""
    from .site import cached

    app_state = state()
    return cached(
        "dump " + key,
        lambda: export_bytes(app_state.graph, key, base_iri=app_state.config.base_iri),
    )


def dump_checksums() -> dict[str, tuple[int, str]]:
    """Format key → (size in bytes, hex SHA-256) of each dump, as DCAT states them."""
    from .site import cached

    def build() -> dict[str, tuple[int, str]]:
        return {
            key: (len(body), hashlib.sha256(body).hexdigest())
            for key in DUMPS
            for body in [dump_bytes(key)]
        }

    return cached("dump-checksums", build)


def triples() -> list[ox.Triple]:
    """The static description (with its blank nodes) and the computed one, as one graph."""
    app_state = state()
    graph = app_state.graph
    stats = app_state.stats
    dataset = ox.NamedNode(dataset_iri())
    out = list(describe(graph, dataset.value).own)
    urls = links()

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal):
        out.append(ox.Triple(s, ox.NamedNode(p), o))

    def integer(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer"))

    add(dataset, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
    add(dataset, RDF_TYPE, ox.NamedNode(DCAT + "Dataset"))
    add(dataset, VOID + "triples", integer(distinct_triples(graph)))
    add(dataset, VOID + "distinctSubjects", integer(stats.distinct_subjects))
    add(dataset, VOID + "classes", integer(len(stats.per_class)))
    add(dataset, VOID + "properties", integer(len(stats.per_property)))
    add(dataset, VOID + "sparqlEndpoint", ox.NamedNode(urls.endpoint))
    add(dataset, VOID + "rootResource", dataset)
    for name, count in sorted(stats.per_graph.items()):
        subset = ox.BlankNode()
        add(dataset, VOID + "subset", subset)
        add(subset, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
        add(subset, RDF_TYPE, ox.NamedNode(SD + "NamedGraph"))
        add(subset, SD + "name", ox.NamedNode(name))
        add(subset, VOID + "triples", integer(count))
    for iri, count in sorted(stats.per_class.items()):
        partition = ox.BlankNode()
        add(dataset, VOID + "classPartition", partition)
        add(partition, VOID + "class", ox.NamedNode(iri))
        add(partition, VOID + "entities", integer(count))
    for iri, count in sorted(stats.per_property.items()):
        partition = ox.BlankNode()
        add(dataset, VOID + "propertyPartition", partition)
        add(partition, VOID + "property", ox.NamedNode(iri))
        add(partition, VOID + "triples", integer(count))
    licence = [t.object for t in out if t.predicate.value == DCTERMS + "license"][:1]
    checksums = dump_checksums()
    for key, url in urls.dumps.items():
        dump = DUMPS[key]
        add(dataset, VOID + "dataDump", ox.NamedNode(url))
        distribution = ox.BlankNode()
        add(dataset, DCAT + "distribution", distribution)
        add(distribution, RDF_TYPE, ox.NamedNode(DCAT + "Distribution"))
        add(distribution, DCTERMS + "title", ox.Literal(f"plangraph ({dump.title})"))
        add(distribution, DCAT + "downloadURL", ox.NamedNode(url))
        add(distribution, DCAT + "accessURL", ox.NamedNode(url))
        add(distribution, DCAT + "mediaType", ox.NamedNode(IANA + dump.media_type))
        size, sha256 = checksums[key]
        add(
            distribution,
            DCAT + "byteSize",
            ox.Literal(str(size), datatype=ox.NamedNode(XSD + "nonNegativeInteger")),
        )
        checksum = ox.BlankNode()
        add(distribution, SPDX + "checksum", checksum)
        add(checksum, RDF_TYPE, ox.NamedNode(SPDX + "Checksum"))
        add(checksum, SPDX + "algorithm", ox.NamedNode(SPDX + "checksumAlgorithm_sha256"))
        add(
            checksum,
            SPDX + "checksumValue",
            ox.Literal(sha256, datatype=ox.NamedNode(XSD + "hexBinary")),
        )
        for licence_term in licence:
            add(distribution, DCTERMS + "license", licence_term)
    service = ox.BlankNode()
    add(dataset, DCAT + "accessService", service)
    add(service, RDF_TYPE, ox.NamedNode(DCAT + "DataService"))
    add(service, DCAT + "endpointURL", ox.NamedNode(urls.endpoint))
    add(service, DCAT + "endpointDescription", ox.NamedNode(urls.endpoint))
    add(service, DCTERMS + "conformsTo", ox.NamedNode(SPARQL_PROTOCOL))
    add(service, DCAT + "servesDataset", dataset)
    return list(dict.fromkeys(out))
