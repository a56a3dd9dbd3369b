"""Linked-data publishing: every IRI of the graph and the ontology dereferences on this server.

A data IRI `https://w3id.org/plangraph/edition/x/task/15` is answered at `/edition/x/task/15`
(the path after the base IRI; behind a `public_base` the same). Each answer is negotiated: HTML
for browsers, Turtle, JSON-LD, N-Triples or RDF/XML by `Accept` (with q-values) or `?format=`,
with `Vary: Accept`. Also here: the home page, the ontology's documentation at `/ontology`, its
JSON-LD context, the VoID/DCAT description, and the whole-dataset dumps.

The blueprint is registered last; its catch-all route only sees paths no other route claims.
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, redirect, request, url_for
from werkzeug.wrappers.response import Response as WerkzeugResponse

from plangraph import describe, export, jsonld
from plangraph.errors import NotAcceptable, PlanGraphError, one_line
from plangraph.sparql import (
    FORMAT_PARAM_ALIASES,
    GRAPH_ALIASES,
    GRAPH_FORMATS,
    choose_media,
    negotiate,
)

from . import pages, site, source_text, structured, void
from .state import state

blueprint = Blueprint("resources", __name__)

RDF_OFFERED = [(media, key) for key, (media, _) in GRAPH_FORMATS.items()]
HTML_OFFERED = [("text/html", "html"), ("application/xhtml+xml", "html")]
# Turtle first: a client that sends no Accept, or */*, is a program, not a browser.
OFFERED = RDF_OFFERED + HTML_OFFERED + [(m, k) for m, k in GRAPH_ALIASES.items()]
VARY = "Accept, Accept-Language"
HTML_MEDIA = "text/html; charset=utf-8"
# Descriptions change only when the data does: caches may keep them a while and revalidate by
# ETag (a hash of the body, so a new generation of the data gives new tags).
CACHE_CONTROL = "public, max-age=300, must-revalidate"


def negotiate_format(*, html: bool = True, what: str = "this resource") -> str:
    """`?format=` wins over Accept; "html" is one of the formats where a page exists."""
    asked = (request.args.get("format") or "").strip().lower()
    if asked:
        if asked in {"html", "htm", "text/html"}:
            if html:
                return "html"
            raise NotAcceptable(f"{what} has no HTML page / 无 HTML 页面")
        return negotiate(None, FORMAT_PARAM_ALIASES.get(asked, asked), "graph")
    offered = OFFERED if html else [o for o in OFFERED if o[1] != "html"]
    return choose_media(request.headers.get("Accept"), offered, what=what)


def rdf_response(triples: list[ox.Triple], fmt: str, prefixes: dict[str, str] | None = None):
    media = GRAPH_FORMATS[fmt][0]
    body = export.serialize_triples(
        triples,
        fmt,
        state().graph,
        context=site.context(),
        prefixes=prefixes if prefixes is not None else state().graph.prefixes,
    )
    return finish(Response(body, mimetype=media))


def html_response(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, content_type=HTML_MEDIA)
    response.headers["Content-Language"] = site.lang()
    return finish(response)


def finish(response: Response) -> Response:
    response.headers["Vary"] = VARY
    if request.method in {"GET", "HEAD"} and response.status_code == 200:
        links = [
            f'<{site.here(format=key, lang=None)}>; rel="alternate"; type="{media}"'
            for key, (media, _) in GRAPH_FORMATS.items()
        ]
        response.headers["Link"] = ", ".join(links)
        return cacheable(response)
    return response


def cacheable(response: Response) -> Response:
    """ETag from the body and Cache-Control; a matching If-None-Match gets 304."""
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response.make_conditional(request)


# --- IRIs and paths ------------------------------------------------------------------------


def iri_for_path(path: str) -> str:
    """The data IRI a request path stands for. Behind a `public_base` with a path of its own
    (https://example.org/data/), a proxy may pass that path on; it is taken off first."""
    config = state().config
    path = path.lstrip("/")
    if config.public_base:
        prefix = config.public_base.split("://", 1)[-1].partition("/")[2]
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :]
    return config.base_iri + path


def ontology_iris() -> set[str]:
    """The ontology's IRI and its version IRIs: all answered with the ontology document."""
    iri = jsonld.ontology_iri(state().config.base_iri)

    def build() -> set[str]:
        store = state().graph.store
        version = ox.NamedNode("http://www.w3.org/2002/07/owl#versionIRI")
        versions = {
            q.object.value for q in store.quads_for_pattern(ox.NamedNode(iri), version, None)
        }
        return {iri, *versions}

    return site.cached("ontology-iris", build)


# --- routes --------------------------------------------------------------------------------


@blueprint.get("/")
def home() -> Response:
    """People get the home page; programs the dataset's VoID description (its IRI is the base)."""
    fmt = negotiate_format(what="the home page")
    if fmt != "html":
        return rdf_response(void.triples(), fmt, _void_prefixes())
    dataset = describe.describe(state().graph, void.dataset_iri())
    view = pages.View.of(dataset) if dataset else None
    return html_response(pages.home_page(view))


@blueprint.get("/.well-known/void")
def void_description() -> Response:
    fmt = negotiate_format(what="the VoID description")
    triples = void.triples()
    if fmt != "html":
        return rdf_response(triples, fmt, _void_prefixes())
    return html_response(
        pages.render(
            "void.html",
            None,
            triples=triples,
            stats=state().stats,
            links=void.links(),
            dumps=export.DUMPS,
            dataset=pages.View.of(describe.describe(state().graph, void.dataset_iri())),
            distinct=export.distinct_triples(state().graph),
            structured_data=structured.dataset(),
            citation=structured.citation(void.dataset_iri()),
            checksums=void.dump_checksums(),
        )
    )


def _void_prefixes() -> dict[str, str]:
    return {**state().graph.prefixes, **void.PREFIXES}


@blueprint.get("/ontology")
@blueprint.get("/ontology/")
def ontology() -> Response:
    return ontology_document()


def ontology_document() -> Response:
    """The ontology file's graph: documentation for people, the triples for programs."""
    iri = jsonld.ontology_iri(state().config.base_iri)
    store = state().graph.store
    quads = list(store.quads_for_pattern(None, None, None, ox.NamedNode(iri)))
    if not quads:
        raise PlanGraphError(f"no ontology is loaded (<{iri}>) / 未加载本体", status=404)
    fmt = negotiate_format(what="the ontology")
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    if fmt != "html":
        return rdf_response(triples, fmt, jsonld.ontology_prefixes(state().graph))
    from . import ontology_page

    return html_response(ontology_page.render(iri, triples))


@blueprint.get("/context.jsonld")
def context() -> Response:
    response = jsonify({"@context": site.context()})
    response.mimetype = "application/ld+json"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@blueprint.get("/dumps")
@blueprint.get("/dumps/")
def dumps_index() -> WerkzeugResponse:
    return redirect(site.here().replace(request.path, "/.well-known/void") + "#dumps", code=303)


@blueprint.get("/dumps/<filename>")
def dump(filename: str) -> Response:
    chosen = export.BY_FILENAME.get(filename)
    if chosen is None:
        names = ", ".join(export.BY_FILENAME)
        raise PlanGraphError(f"no dump {filename!r}; there are {names} / 没有该文件", status=404)
    body = void.dump_bytes(chosen.key)
    response = Response(body, mimetype=chosen.media_type)
    response.set_etag(void.dump_checksums()[chosen.key][1][:32])
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Content-Disposition"] = f'inline; filename="{chosen.filename}"'
    return response.make_conditional(request)


# --- for search engines and browsers ---------------------------------------------------------


@blueprint.get("/robots.txt")
def robots() -> Response:
    body = (
        f"User-agent: *\nAllow: /\nDisallow: /sparql\nSitemap: {void.public_url('sitemap.xml')}\n"
    )
    return cacheable(Response(body, mimetype="text/plain"))


@blueprint.get("/sitemap.xml")
def sitemap() -> Response:
    """Every described resource of the data, the indexes and the documentation pages, each with
    its language alternates (xhtml:link hreflang), per the sitemaps protocol."""
    from xml.sax.saxutils import quoteattr

    from .indexes import KINDS

    base = state().config.base_iri
    paths = ["", "ontology", ".well-known/void", "queries", *KINDS]
    subjects = site.cached("sitemap-subjects", lambda: sorted(_described_subjects(base)))
    paths += [iri[len(base) :] for iri in subjects]
    modified = structured.dataset_meta().modified
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for path in dict.fromkeys(paths):
        url = void.public_url(path)
        out.append(f"<url><loc>{_xml(url)}</loc>")
        if modified:
            out.append(f"<lastmod>{_xml(modified)}</lastmod>")
        for code in site.LANGS:
            joiner = "&" if "?" in url else "?"
            out.append(
                f'<xhtml:link rel="alternate" hreflang="{code}" '
                f"href={quoteattr(url + joiner + 'lang=' + code)}/>"
            )
        out.append("</url>")
    out.append("</urlset>")
    return cacheable(Response("\n".join(out) + "\n", mimetype="application/xml"))


def _xml(text: str) -> str:
    from xml.sax.saxutils import escape as xml_escape

    return xml_escape(text)


def _described_subjects(base: str) -> set[str]:
    """IRIs under the base that are subjects of the data (each has a page)."""
    store = state().graph.store
    return {
        q.subject.value
        for q in store.quads_for_pattern(None, None, None)
        if isinstance(q.subject, ox.NamedNode)
        and q.subject.value.startswith(base)
        and "#" not in q.subject.value
        and q.subject.value != base
    }


@blueprint.get("/favicon.ico")
def favicon() -> WerkzeugResponse:
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@blueprint.get("/<path:path>")
def resource(path: str) -> Response:
    """Any other path is an IRI of the data: describe it, or say it is unknown (404)."""
    iri = iri_for_path(path)
    if iri in ontology_iris():
        return ontology_document()
    try:
        description = describe.describe(state().graph, iri)
    except ValueError:  # not even an IRI (a path with '<', a space …): nothing can describe it
        return not_found(iri)
    if not description:
        if iri in state().named_graphs:
            return graph_document(iri)
        return not_found(iri)
    if request.args.get("format") == "text":
        copy = next(
            (
                t.object.value
                for t in description.own
                if t.predicate.value == pages.PG + "localCopy"
            ),
            None,
        )
        text = source_text.read(copy) if copy else None
        if text is not None:
            return cacheable(Response(text.text, mimetype="text/plain"))
    fmt = negotiate_format()
    if fmt == "html":
        site.note("describe", resource=iri)
        return html_response(pages.resource_page(description))
    return rdf_response(description.triples, fmt)


def graph_document(iri: str) -> Response:
    """A named graph of the dataset (/graph/places …): its triples for programs; for people,
    its size and the resources it describes."""
    store = state().graph.store
    quads = list(store.quads_for_pattern(None, None, None, ox.NamedNode(iri)))
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    fmt = negotiate_format(what="this graph")
    if fmt != "html":
        return rdf_response(triples, fmt)
    subjects = sorted(
        {q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)},
        key=lambda s: site.label(s),
    )
    return html_response(
        pages.render("graph.html", None, graph=iri, triples=len(triples), subjects=subjects)
    )


def not_found(iri: str) -> Response:
    message = f"no resource <{iri}> in this dataset / 本数据集中没有该资源"
    try:
        fmt = negotiate_format()
    except PlanGraphError:
        fmt = "text"
    if fmt == "html":
        return html_response(pages.not_found_page(iri), status=404)
    response = Response(one_line(message) + "\n", status=404, mimetype="text/plain")
    response.headers["Vary"] = VARY
    return response


@blueprint.app_context_processor
def template_helpers() -> dict[str, object]:
    """The helpers every template may call; all escape what they are given."""
    return {
        "t": site.t,
        "tr": site.tr,
        "bi": site.bi,
        "label": site.label,
        "literal": site.literal,
        "prose": site.prose,
        "href": site.href,
        "here": site.here,
        "short": site.short,
        "public_iri": site.public_iri,
        "lang": site.lang,
        "other_lang": site.other_lang,
        "GRAPH_FORMATS": GRAPH_FORMATS,
        "config_base": lambda: state().config.base_iri,
        "editor_examples": site.editor_examples,
        "editor_prefixes": site.editor_prefixes,
        "canonical_url": canonical_url,
        "dataset_meta": structured.dataset_meta,
        "lang_suffix": lambda: (
            f"?lang={request.args['lang']}" if request.args.get("lang") in site.LANGS else ""
        ),
    }


def canonical_url(lang: str | None = None) -> str:
    """This page at its public address; `lang` "zh"/"en" for a language version (default: the
    page's own language), "" for the negotiated one (hreflang x-default)."""
    chosen = site.lang() if lang is None else lang
    url = void.public_url(request.path.lstrip("/"))
    return url + (f"?lang={chosen}" if chosen else "")
