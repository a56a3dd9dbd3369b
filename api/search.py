"""/search?q=: the search box every page carries. Hits are grouped by kind (editions, institutions,
zones, places, themes, targets, tasks …), best first within each group; `?format=json` gives
the same to programs. The index (plangraph/search_index.py) is built when the app is made and
rebuilt on the first search after the data changes.
The first build runs in a thread beside the server; /readyz waits for it (api/health.py).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, jsonify, request
from markupsafe import Markup, escape

from plangraph.errors import PlanGraphError
from plangraph.search_index import SearchIndex
from plangraph.sparql import QueryJob, QueryOutcome

from . import site
from .pages import PG, render
from .resources import negotiate_format
from .state import AppState

blueprint = Blueprint("search", __name__)

# The groups a result page shows, in this order; a hit joins the first its types fall under.
GROUPS = [
    "PlanEdition",
    "Plan",
    "Institution",
    "Zone",
    "Place",
    "Theme",
    "Goal",
    "Target",
    "TaskArea",
    "Task",
    "PlanElement",
    "SourceDocument",
]
log = logging.getLogger(__name__)
_build_lock = threading.Lock()
BUILD_SECONDS = 3600  # the index's rows query in a worker (10 million triples: under a minute)
PAGE_HITS = 50  # best first: names, then other names, then texts


def index_for(app_state: AppState) -> SearchIndex:
    """The index of the data's current generation, built once per generation."""
    held = getattr(app_state, "_search_index", None)
    if held is not None and held[0] == app_state.generation:
        return held[1]
    with _build_lock:
        held = getattr(app_state, "_search_index", None)
        if held is None or held[0] != app_state.generation:
            query = site.PAGE_QUERIES.joinpath("search-documents.rq").read_text(encoding="utf-8")
            generation = app_state.generation
            index = _build(app_state, query)
            app_state._search_index = (generation, index)  # type: ignore[attr-defined]
            held = (generation, index)
            app_state.search_ready.set()
    return held[1]


def _build(app_state: AppState, query: str) -> SearchIndex:
    """The index, its rows read by a query worker where there are workers.

    Reading pyoxigraph's in-memory store writes to the pages it reads, so a build in this
    process turns what it reads of the store shared with the workers' zygote into this
    process's own copy (0.6 GiB at 10 million triples). A worker's answer (a file, at that size)
    costs a parse here instead. The query is ours, not a user's: it has the build's time limit."""
    if app_state.engine is None:
        return SearchIndex.from_store(app_state.graph.store, query)
    job = QueryJob(query, "tsv", max_rows=sys.maxsize, max_bytes=sys.maxsize)
    try:
        outcome = app_state.engine.run(job, BUILD_SECONDS, keep_file=True)
    except PlanGraphError as err:  # a worker's memory limit, say: built here, as before
        log.warning("search index built in the server's process: %s", err.message)
        return SearchIndex.from_store(app_state.graph.store, query)
    assert isinstance(outcome, QueryOutcome)
    if outcome.file is None:
        return SearchIndex.from_answer(outcome.body)
    with outcome.file:
        return SearchIndex.from_answer(outcome.file)


@blueprint.record_once
def _build_at_load(setup) -> None:  # type: ignore[no-untyped-def]
    """Built beside the server, not before it: at 10 million triples this takes minutes, and
    /readyz says "not ready" until it is done (a search asked meanwhile waits for it)."""
    app: Flask = setup.app
    threading.Thread(
        target=index_for, args=(app.extensions["plangraph"],), name="search-index", daemon=True
    ).start()


@dataclass
class Group:
    kind: str  # class IRI
    hits: list


def group_of(kinds: tuple[str, ...]) -> str:
    for name in GROUPS:
        if set(kinds) & site.subclasses(PG + name):
            return PG + name
    return ""


def snippet_markup(snippet: str) -> Markup:
    """The snippet escaped, the match marked (the markers were put in by the index)."""
    before, _, rest = snippet.partition("\x02")
    match, _, after = rest.partition("\x03")
    return Markup("{}<mark>{}</mark>{}").format(escape(before), escape(match), escape(after))


@blueprint.get("/search")
def search() -> Response:
    from .state import state

    text = (request.args.get("q") or "").strip()
    started = time.perf_counter()
    hits = index_for(state()).search(text, limit=PAGE_HITS) if text else []
    elapsed = (time.perf_counter() - started) * 1000
    groups: dict[str, Group] = {}
    for hit in hits:
        kind = group_of(hit.kinds)
        groups.setdefault(kind, Group(kind, [])).hits.append(hit)
    ordered = sorted(
        groups.values(),
        key=lambda g: GROUPS.index(g.kind[len(PG) :]) if g.kind else len(GROUPS),
    )
    asked = (request.args.get("format") or "").lower()
    if asked == "json" or (not asked and negotiate_format(what="search results") != "html"):
        response = jsonify(
            {
                "query": text,
                "hits": [
                    {
                        "iri": h.iri,
                        "kind": group_of(h.kinds) or None,
                        "label": site.label(h.iri),
                        "field": h.field,
                        "snippet": h.snippet.replace("\x02", "").replace("\x03", ""),
                    }
                    for h in hits
                ],
            }
        )
        response.headers["Vary"] = "Accept"
        return response
    body = render(
        "search.html",
        None,
        q=text,
        groups=ordered,
        total=len(hits),
        elapsed_ms=elapsed,
        snippet=snippet_markup,
    )
    response = Response(body, content_type="text/html; charset=utf-8")
    response.headers["Content-Language"] = site.lang()
    response.headers["Vary"] = "Accept, Accept-Language"
    return response
