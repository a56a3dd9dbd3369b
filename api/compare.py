"""Comparing editions on the web: `/compare/{a}/{b}` (what changed, 对照 page or data) and
`/compare?editions=a,b,c` (plans side by side: themes, institutions, targets, layouts).

The work is plangraph.diff's and the named queries `queries/compare-*.rq`; this module picks a
format and lays the result out. Labels from the data are escaped by Jinja like every page's.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, render_template, request

from plangraph import store
from plangraph.diff import Comparison, diff, editions, render
from plangraph.errors import PlanGraphError, UpdateRefused
from plangraph.sparql import choose_media
from plangraph.store import GraphStore

from . import site
from .sparql import authorise  # the one check of the write token
from .state import state

blueprint = Blueprint("compare", __name__)

FORMATS = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "markdown": "text/markdown; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
}
OFFERED = [
    ("text/html", "html"),
    ("application/xhtml+xml", "html"),
    ("application/json", "json"),
    ("text/markdown", "markdown"),
    ("text/turtle", "turtle"),
]
TABLES = ("themes", "institutions", "targets", "layouts")


def _format() -> str:
    asked = (request.args.get("format") or "").strip().lower()
    if asked:
        if asked in {"md", "markdown"}:
            return "markdown"
        if asked in {"ttl", "turtle"}:
            return "turtle"
        if asked in FORMATS:
            return asked
        raise PlanGraphError(
            f"format {asked!r} is not one of html, json, markdown, turtle / 不支持的格式"
        )
    return choose_media(request.headers.get("Accept"), OFFERED, what="a comparison")


@blueprint.get("/compare/<old>/<new>")
def pair(old: str, new: str) -> Response:
    """What changed from edition `old` to edition `new` (slugs or IRIs)."""
    fmt = _format()
    comparison = diff(state().graph.store, old, new)
    if fmt == "html":
        body = page(comparison)
    else:
        body = {
            "json": render.to_json,
            "markdown": render.to_markdown,
            "turtle": render.to_turtle,
        }[fmt](comparison)
    response = Response(body, mimetype=FORMATS[fmt].split(";")[0])
    response.headers["Content-Type"] = FORMATS[fmt]
    response.headers["Vary"] = "Accept, Accept-Language"
    return response


@blueprint.post("/compare/<old>/<new>/graph")
def publish(old: str, new: str) -> Response:
    """Add the comparison to the store as a named graph, so SPARQL can query it. A write, so it
    goes the way of SPARQL Update: refused without the write token, journalled with --store, and
    seen by every query worker after the answer."""
    app_state = state()
    config = app_state.config
    if not config.write_token:
        raise UpdateRefused(
            "this server is read-only: no comparison graph can be added / 本服务只读"
        )
    authorise(config.write_token)
    comparison = diff(app_state.graph.store, old, new)
    name = render.graph_iri(comparison)
    added = render.to_nquads(comparison)
    with app_state.write_lock:
        graph = ox.NamedNode(name)
        older = list(app_state.graph.store.quads_for_pattern(None, None, None, graph))
        removed = ox.serialize(older, format=ox.RdfFormat.N_QUADS) or b""
        store.record_update(app_state.graph, removed, added)
        app_state.refresh()
        for engine in app_state.engines():  # the fast lane's workers too
            engine.new_generation(removed, added)
    response = Response(name + "\n", status=201, mimetype="text/plain")
    response.headers["Location"] = name
    return response


def page(comparison: Comparison) -> str:
    """The 对照 page: matched pairs side by side, rewordings marked with <ins>/<del>."""
    groups: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list] = defaultdict(list)
    for c in comparison.changes:
        if c.element in {"Task", "Principle", "Goal", "TaskArea", "Preamble", "GuidingIdeology"}:
            groups[(c.element, tuple(c.old), tuple(c.new))].append(c)
    elements = {**comparison.old.by_iri, **comparison.new.by_iri}
    rows = []
    for (kind, olds, news), changes in groups.items():
        kinds = [c.kind for c in changes if not c.kind.startswith("Role")]
        rows.append(
            {
                "kind": kind,
                "old": [elements[i] for i in olds],
                "new": [elements[i] for i in news],
                "kinds": kinds or ["Unchanged"],
                "ops": next((c.ops for c in changes if c.ops), None),
                "roles": [c for c in changes if c.kind.startswith("Role")],
                "score": next((c.score for c in changes if c.score is not None), None),
            }
        )
    order = {"Preamble": 0, "GuidingIdeology": 1, "Principle": 2, "Goal": 3, "TaskArea": 4}
    rows.sort(
        key=lambda r: (
            order.get(r["kind"], 5),
            min([e.number or 0 for e in r["new"] or r["old"]], default=0),
        )
    )
    return render_template(
        "compare.html",
        c=comparison,
        rows=rows,
        targets=[c for c in comparison.changes if c.element == "Target"],
        zones=[c for c in comparison.changes if c.element == "Zone"],
        metadata=[c for c in comparison.changes if c.element == "Edition"],
        kind_zh=render.KIND_ZH,
        crumbs=[],
        no_crumbs=True,
    )


def standalone_page(graph: GraphStore, comparison: Comparison, lang: str) -> str:
    """The 对照 page outside a server (`plangraph diff --format html`)."""
    from plangraph.config import Config

    from . import create_app
    from .state import AppState

    app: Flask = create_app(AppState(Config(), graph))
    with app.test_request_context(
        f"/compare/{comparison.old.slug}/{comparison.new.slug}?lang={lang}"
    ):
        return page(comparison)


# --- several editions side by side -----------------------------------------------------------


def _chosen() -> list[str]:
    known = editions(state().graph.store)
    asked = [s.strip() for s in (request.args.get("editions") or "").split(",") if s.strip()]
    if not asked:
        return known
    out = []
    for name in asked:
        iri = (
            name
            if name.startswith(("http://", "https://"))
            else f"{state().config.base_iri}edition/{name}"
        )
        if iri not in known:
            raise PlanGraphError(f"no plan edition {name!r} / 没有这个规划版本", status=404)
        out.append(iri)
    return out


def tables(chosen: list[str]) -> dict[str, list[dict[str, object]]]:
    """The four cross-plan tables, each from its named query, narrowed to the chosen editions."""
    wanted = set(chosen)
    out = {}
    for name in TABLES:
        rows = site.run(f"compare-{name}")
        out[name] = [
            {k: v.value for k, v in row.items()} for row in rows if row["edition"].value in wanted
        ]
    return out


@blueprint.get("/compare")
def several() -> Response:
    chosen = _chosen()
    data = tables(chosen)
    table = request.args.get("table")
    if (request.args.get("format") or "").lower() == "csv":
        if table not in TABLES:
            raise PlanGraphError(f"table must be one of {', '.join(TABLES)} / 表名无效")
        buffer = io.StringIO()
        rows = data[table]
        columns = list(rows[0]) if rows else ["edition"]
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        response = Response(buffer.getvalue(), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="compare-{table}.csv"'
        return response
    matrix: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for row in data["themes"]:
        matrix[str(row["theme"])][str(row["edition"])].append(
            (str(row["task"]), str(row.get("number", "")))
        )
    roles: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in data["institutions"]:
        roles[str(row["institution"])][str(row["edition"])].append(str(row["role"]))
    layouts: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in data["layouts"]:
        layouts[str(row["edition"])].append(row)
    body = render_template(
        "compare-editions.html",
        chosen=chosen,
        matrix=dict(sorted(matrix.items(), key=lambda kv: -sum(map(len, kv[1].values())))),
        roles=roles,
        targets=data["targets"],
        layouts=layouts,
        query=",".join(e.rsplit("/", 1)[-1] for e in chosen),
        crumbs=[],
        no_crumbs=True,
    )
    return Response(body, mimetype="text/html")
