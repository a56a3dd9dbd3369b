"""The read side of the SPARQL 1.1 Graph Store HTTP Protocol at /gsp: a whole graph per GET.

`?graph=IRI` names a graph; `?default` is the union of all graphs (this dataset keeps every
triple in a named graph). Writes are refused: the store is read-only.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, request

from plangraph.errors import InputError, PlanGraphError, UpdateRefused
from plangraph.sparql import GRAPH_FORMATS, negotiate, serialize_triples

from .state import state

blueprint = Blueprint("graph_store", __name__)


@blueprint.route("/gsp", methods=["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"])
def graph_store() -> Response:
    if request.method not in {"GET", "HEAD"}:
        raise UpdateRefused("the graph store is read-only / 图存储只读")
    app_state = state()
    name = request.args.get("graph")
    if ("default" in request.args) == (name is not None):
        raise InputError("give exactly one of ?graph=IRI or ?default / 请指定 graph 或 default")
    fmt = negotiate(request.headers.get("Accept"), request.args.get("format"), "graph")
    store = app_state.graph.store
    if name is not None:
        graph = ox.NamedNode(name) if _is_iri(name) else None
        if graph is None or not store.contains_named_graph(graph):
            raise PlanGraphError(f"no graph <{name}> in this dataset / 没有该图", status=404)
        quads = store.quads_for_pattern(None, None, None, graph)
    else:
        quads = store.quads_for_pattern(None, None, None)
    triples = list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads))
    media, rdf_format = GRAPH_FORMATS[fmt]
    body = (
        b""
        if request.method == "HEAD"
        else serialize_triples(triples, rdf_format, app_state.graph.prefixes)
    )
    response = Response(body, mimetype=media)
    response.headers["Vary"] = "Accept"
    return response


def _is_iri(value: str) -> bool:
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return ":" in value
