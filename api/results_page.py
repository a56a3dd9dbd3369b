"""Query results as a page for people: a browser asking /sparql or /queries/<name> gets a table,
with the row count, the time taken, download links for the formats programs get, and IRIs
linking to their pages on this server. Programs keep the negotiated formats (api/sparql.py).

The query runs exactly as a program's would (through `AppState.run`, in a worker, under the
same limits); the page reads its SPARQL JSON or N-Triples answer and lays it out.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Response, render_template, request

from plangraph.named_queries import NamedQuery
from plangraph.sparql import GRAPH_FORMATS, RESULT_FORMATS, QueryJob, choose_media

from .state import AppState

# The page shows this many rows; the downloads carry everything up to the server's row cap.
SHOWN_ROWS = 1000
HTML_MEDIA = "text/html; charset=utf-8"


def wants_html(params: dict[str, list[str]]) -> bool:
    """A browser: no ?format= (or format=html) and Accept preferring text/html to every result
    and graph format. `*/*` alone, or no Accept, is a program and gets the protocol's default."""
    fmt = (params.get("format") or [""])[0].strip().lower()
    if fmt:
        return fmt in {"html", "text/html"}
    accept = request.headers.get("Accept")
    if not accept or "text/html" not in accept.lower():
        return False
    offered = [(media, key) for key, (media, _) in RESULT_FORMATS.items()]
    offered += [(media, key) for key, (media, _) in GRAPH_FORMATS.items()]
    offered.append(("text/html", "html"))
    try:
        return choose_media(accept, offered, what="results") == "html"
    except Exception:  # nothing acceptable: let the protocol path answer 406
        return False


@dataclass
class Results:
    """What the page shows: column names and rows of terms (None where unbound)."""

    kind: str  # "select", "ask" or "graph"
    columns: list[str]
    rows: list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]]
    total: int
    truncated: bool
    boolean: bool | None = None


def run(app_state: AppState, job: QueryJob, kind: str) -> tuple[Results, float]:
    """Run the job for the page in the format it can read; return what to show and the seconds."""
    job.fmt = "json" if kind == "results" else "ntriples"
    started = time.perf_counter()
    outcome = app_state.run(job)
    elapsed = time.perf_counter() - started
    if kind == "results":
        return _from_json(outcome.body, outcome.truncated), elapsed
    triples = list(ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES))
    rows: list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]] = [
        [t.subject, t.predicate, t.object]  # type: ignore[list-item]
        for t in triples[:SHOWN_ROWS]
    ]
    return Results(
        "graph", ["subject", "predicate", "object"], rows, len(triples), outcome.truncated
    ), elapsed


def _from_json(body: bytes, truncated: bool) -> Results:
    data = json.loads(body)
    if "boolean" in data:
        return Results("ask", [], [], 1, False, boolean=bool(data["boolean"]))
    columns = list(data.get("head", {}).get("vars", []))
    bindings = data.get("results", {}).get("bindings", [])
    rows = [[_term(b.get(c)) for c in columns] for b in bindings[:SHOWN_ROWS]]
    return Results("select", columns, rows, len(bindings), truncated)


def _term(binding: dict[str, str] | None) -> ox.NamedNode | ox.BlankNode | ox.Literal | None:
    if binding is None:
        return None
    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if "xml:lang" in binding:
        return ox.Literal(value, language=binding["xml:lang"])
    if "datatype" in binding:
        return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
    return ox.Literal(value)


def downloads(kind: str, base_url: str, params: dict[str, str]) -> list[tuple[str, str]]:
    """(label, URL) for each format a program would get: the same request with ?format=."""
    keys = ["csv", "tsv", "json", "xml"] if kind == "results" else list(GRAPH_FORMATS)
    names = {
        "csv": "CSV",
        "tsv": "TSV",
        "json": "JSON",
        "xml": "XML",
        "turtle": "Turtle",
        "ntriples": "N-Triples",
        "jsonld": "JSON-LD",
        "rdfxml": "RDF/XML",
    }
    out = []
    for key in keys:
        query = {k: v for k, v in params.items() if k != "format"}
        query["format"] = key
        out.append((names[key], base_url + "?" + urlencode(query)))
    return out


def page(
    app_state: AppState,
    job: QueryJob,
    kind: str,
    *,
    query_text: str,
    named: NamedQuery | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The results page for /sparql (named is None) or /queries/<name>."""
    results, elapsed = run(app_state, job, kind)
    flat = {k: v for k, v in request.values.items() if k not in {"format", "lang"}}
    if named is None:
        flat = {"query": query_text}
    base = request.script_root + request.path
    body = render_template(
        "results.html",
        results=results,
        elapsed_ms=elapsed * 1000,
        shown=min(results.total, SHOWN_ROWS),
        max_rows=app_state.config.max_rows,
        downloads=downloads(kind, base, flat),
        query_text=query_text,
        named=named,
        values=values or {},
    )
    response = Response(body, content_type=HTML_MEDIA)
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["X-PlanGraph-Rows"] = str(results.total)
    return response
