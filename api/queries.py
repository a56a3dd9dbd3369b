"""Named queries over HTTP: /queries lists them, /queries/<name> runs one with bound parameters."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from plangraph.binding import with_values
from plangraph.errors import PlanGraphError
from plangraph.named_queries import bind
from plangraph.sparql import choose_media

from .sparql import run_query
from .state import state

blueprint = Blueprint("queries", __name__)
RESERVED = {"format", "default-graph-uri", "named-graph-uri", "lang"}


@blueprint.get("/queries")
def listing() -> Response:
    queries = list(state().named_queries.values())
    choice = choose_media(
        request.headers.get("Accept"),
        [("application/json", "json"), ("text/html", "html")],
        what="the list of named queries",
    )
    if request.args.get("format") == "json" or choice == "json":
        response = jsonify([q.as_json() for q in queries])
    else:
        response = Response(render_template("queries.html", queries=queries), mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response


@blueprint.get("/queries/<name>")
def run(name: str) -> Response:
    query = state().named_queries.get(name)
    if query is None:
        raise PlanGraphError(f"no named query {name!r} / 没有该命名查询", status=404)
    values = {k: v for k, v in request.args.items() if k not in RESERVED}
    params = {k: request.args.getlist(k) for k in RESERVED if k in request.args}
    text, substitutions = with_values(query.text, bind(query, values))
    return run_query(state(), text, params, substitutions=substitutions, named=query)
