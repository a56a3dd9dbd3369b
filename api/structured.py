"""What pages tell search engines and citers: schema.org JSON-LD (Dataset for the dataset,
Legislation for plan editions, GovernmentOrganization or Organization for institutions,
CreativeWork for other plan documents), the dataset's version and dates, and a "cite this" text
in plain form and as BibTeX.

The JSON-LD context is inline (`@vocab` schema.org), so the block is read the same by any
JSON-LD processor, offline. Everything comes from the loaded data; nothing is restated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from plangraph.describe import describe
from plangraph.export import DUMPS

from . import site
from .state import state

if TYPE_CHECKING:
    from .pages import View

PG = "https://w3id.org/plangraph/ontology#"
DCTERMS = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
CONTEXT = {"@vocab": "https://schema.org/"}


@dataclass(frozen=True)
class DatasetMeta:
    iri: str
    title: dict[str, str]
    version: str | None
    issued: str | None
    modified: str | None
    publisher: dict[str, str]
    licence: str | None


def dataset_meta() -> DatasetMeta:
    """Version, dates and names from the dataset's own description (graph/dataset.ttl)."""

    def build() -> DatasetMeta:
        iri = state().config.base_iri
        desc = describe(state().graph, iri)
        own = [t for t in desc.own if t.subject == ox.NamedNode(iri)]

        def first(predicate: str) -> str | None:
            return next((t.object.value for t in own if t.predicate.value == predicate), None)

        def by_lang(triples: list[ox.Triple], predicate: str) -> dict[str, str]:
            return {
                (t.object.language or ""): t.object.value
                for t in triples
                if t.predicate.value == predicate and isinstance(t.object, ox.Literal)
            }

        publisher_node = next(
            (t.object for t in own if t.predicate.value == DCTERMS + "publisher"), None
        )
        publisher = (
            by_lang([t for t in desc.own if t.subject == publisher_node], FOAF + "name")
            if publisher_node is not None
            else {}
        )
        return DatasetMeta(
            iri=iri,
            title=by_lang(own, DCTERMS + "title"),
            version=first(DCAT + "version"),
            issued=first(DCTERMS + "issued"),
            modified=first(DCTERMS + "modified"),
            publisher=publisher,
            licence=first(DCTERMS + "license"),
        )

    return site.cached("dataset-meta", build)


def _names(iri: str) -> tuple[str, list[str]]:
    """The name in the page's language and the other-language name as an alternate."""
    name = site.label(iri)
    other = site.label(iri, site.other_lang()) if site.has_label(iri, site.other_lang()) else ""
    return name, [other] if other and other != name else []


def _node(iri: str, schema_type: str) -> dict[str, object]:
    name, alternates = _names(iri)
    node: dict[str, object] = {
        "@type": schema_type,
        "@id": site.public_iri(iri),
        "name": name,
        "url": site.public_iri(iri),
    }
    if alternates:
        node["alternateName"] = alternates
    return node


def dataset() -> dict[str, object]:
    meta = dataset_meta()
    lang = site.lang()
    node: dict[str, object] = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": site.public_iri(meta.iri),
        "url": site.public_iri(meta.iri),
        "name": meta.title.get(lang) or next(iter(meta.title.values()), "plangraph"),
        "inLanguage": ["zh", "en"],
    }
    other = meta.title.get(site.other_lang())
    if other:
        node["alternateName"] = other
    desc = describe(state().graph, meta.iri)
    for t in desc.own:
        if t.predicate.value == DCTERMS + "description" and t.object.language == lang:  # type: ignore[union-attr]
            node["description"] = t.object.value
    if meta.version:
        node["version"] = meta.version
    if meta.issued:
        node["datePublished"] = meta.issued
    if meta.modified:
        node["dateModified"] = meta.modified
    if meta.licence:
        node["license"] = meta.licence
    if meta.publisher:
        node["publisher"] = {
            "@type": "Organization",
            "name": meta.publisher.get(lang) or next(iter(meta.publisher.values())),
        }
    from .void import public_url

    node["distribution"] = [
        {
            "@type": "DataDownload",
            "contentUrl": public_url("dumps/" + dump.filename),
            "encodingFormat": dump.media_type,
        }
        for dump in DUMPS.values()
    ]
    node["citation"] = citation(meta.iri).text
    return node


def for_view(view: View) -> dict[str, object] | None:
    """The JSON-LD block for a resource page, by its kind; None where schema.org has no fit."""
    iri = view.desc.iri
    if iri == state().config.base_iri:
        return dataset()
    if view.is_a(PG + "PlanEdition"):
        node = _node(iri, "Legislation")
        for predicate, key in (
            (PG + "issueDate", "legislationDate"),
            (PG + "publicationDate", "datePublished"),
            (PG + "documentNumber", "legislationIdentifier"),
        ):
            value = view.first(predicate)
            if value is not None:
                node[key] = value.value
        passed = [
            _node(v.value, "GovernmentOrganization")
            for p in ("issuedBy", "approvedBy")
            for v in view.values(PG + p)
            if isinstance(v, ox.NamedNode)
        ]
        if passed:
            node["legislationPassedBy"] = passed
        node["inLanguage"] = "zh"
        node["isPartOf"] = {"@type": "Dataset", "@id": site.public_iri(state().config.base_iri)}
    elif view.is_a(PG + "Institution"):
        government = view.is_a(PG + "GovernmentBody") or view.is_a(PG + "CentralBank")
        node = _node(iri, "GovernmentOrganization" if government else "Organization")
    elif view.is_a(PG + "Plan") or view.is_a(PG + "SourceDocument"):
        node = _node(iri, "CreativeWork")
    else:
        return None
    return {"@context": CONTEXT, **node}


@dataclass(frozen=True)
class Citation:
    text: str
    bibtex: str


def citation(iri: str) -> Citation:
    """How to cite a resource of the dataset (or the dataset itself): plain text and BibTeX."""
    meta = dataset_meta()
    lang = site.lang()
    dataset_title = meta.title.get(lang) or next(iter(meta.title.values()), "plangraph")
    publisher = meta.publisher.get(lang) or next(iter(meta.publisher.values()), "plangraph")
    year = (meta.modified or meta.issued or "")[:4]
    url = site.public_iri(iri)
    version = f"version {meta.version}" if meta.version else ""
    if iri == meta.iri:
        title = dataset_title
        text = f"{publisher} ({year}). {title} [dataset], {version}. {url}"
    else:
        title = site.label(iri)
        text = (
            f"{publisher} ({year}). {title} [knowledge-graph record]. "
            f"In: {dataset_title}, {version}. {url}"
        )
    key = "plangraph-" + (url.rstrip("/").rsplit("/", 1)[-1] if iri != meta.iri else "dataset")
    fields = [
        ("title", "{" + _bib(title) + "}"),
        ("author", "{" + _bib(publisher) + "}"),
        ("year", year),
        ("version", meta.version or ""),
        ("howpublished", "\\url{" + url + "}"),
        ("note", _bib(dataset_title if iri != meta.iri else "dataset")),
    ]
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v)
    return Citation(text.replace(" ,", ","), f"@misc{{{key},\n{body}\n}}")


def _bib(text: str) -> str:
    """BibTeX-safe: braces balanced away, specials escaped."""
    for ch in "\\{}":
        text = text.replace(ch, "")
    for ch in "&%$#_":
        text = text.replace(ch, "\\" + ch)
    return text
