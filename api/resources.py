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
from flask import Blueprint, Response, jsonify, redirect, request
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

from . import pages, site, void
from .state import state

blueprint = Blueprint("resources", __name__)

RDF_OFFERED = [(media, key) for key, (media, _) in GRAPH_FORMATS.items()]
HTML_OFFERED = [("text/html", "html"), ("application/xhtml+xml", "html")]
# Turtle first: a client that sends no Accept, or */*, is a program, not a browser.
OFFERED = RDF_OFFERED + HTML_OFFERED + [(m, k) for m, k in GRAPH_ALIASES.items()]
VARY = "Accept, Accept-Language"
HTML_MEDIA = "text/html; charset=utf-8"


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
    return response


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
    body = site.cached(
        "dump " + chosen.key,
        lambda: export.export_bytes(state().graph, chosen.key, base_iri=state().config.base_iri),
    )
    response = Response(body, mimetype=chosen.media_type)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.headers["Content-Disposition"] = f'inline; filename="{chosen.filename}"'
    return response.make_conditional(request)


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
        return not_found(iri)
    fmt = negotiate_format()
    if fmt == "html":
        site.note("describe", resource=iri)
        return html_response(pages.resource_page(description))
    return rdf_response(description.triples, fmt)


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
        "lang_suffix": lambda: (
            f"?lang={request.args['lang']}" if request.args.get("lang") in site.LANGS else ""
        ),
    }
