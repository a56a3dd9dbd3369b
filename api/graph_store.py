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
    # Kept under the answer byte cap, as a SPARQL answer is (the data can grow in write mode).
    limit = app_state.config.max_answer_bytes
    kept: dict[ox.Triple, None] = {}
    size, cut = 0, False
    for quad in quads:
        triple = ox.Triple(quad.subject, quad.predicate, quad.object)
        if triple in kept:
            continue
        size += len(str(triple).encode("utf-8")) + 3  # its N-Triples line, roughly
        if size > limit:
            cut = True
            break
        kept[triple] = None
    media, rdf_format = GRAPH_FORMATS[fmt]
    triples = list(kept)
    body = serialize_triples(triples, rdf_format, app_state.graph.prefixes)
    # The estimate is per N-Triples line; Turtle's prefixes, RDF/XML and JSON-LD can be larger:
    # shrink in proportion until the real bytes fit.
    while len(body) > limit and triples:
        cut = True
        triples = triples[: int(len(triples) * limit / len(body) * 0.95)]
        body = serialize_triples(triples, rdf_format, app_state.graph.prefixes)
    if request.method == "HEAD":
        body = b""
    response = Response(body, mimetype=media)
    response.headers["Vary"] = "Accept"
    if cut:
        response.headers["X-PlanGraph-Truncated"] = (
            f"true; max-bytes={limit}; the graph was cut at the size limit, see /dumps"
        )
    return response


def _is_iri(value: str) -> bool:
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return ":" in value
