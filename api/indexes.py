"""Index pages, one per kind of resource: /edition, /institution, /place, /zone, /theme,
/target … Each lists every resource of that class (subclasses included), sortable by name,
type, edition or the number of links to it; the paths are the IRI folders of the data, so
`https://w3id.org/plangraph/institution/` lands on the list of institutions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Blueprint, Response, request

from plangraph.errors import PlanGraphError

from . import site
from .pages import PG, render
from .resources import html_response, negotiate_format, rdf_response
from .state import state

blueprint = Blueprint("indexes", __name__)

# IRI folder → class of the ontology. Only what the folder holds; the class is read from data.
KINDS = {
    "edition": "PlanEdition",
    "plan": "Plan",
    "institution": "Institution",
    "place": "Place",
    "zone": "Zone",
    "theme": "Theme",
    "target": "Target",
    "task": "Task",
    "goal": "Goal",
    "source": "SourceDocument",
    "programme": "Programme",
    "event": "Event",
}
SORTS = ("name", "type", "edition", "links")


@dataclass
class Entry:
    iri: str
    types: list[str] = field(default_factory=list)
    edition: str | None = None
    links: int = 0


def entries(kind: str) -> list[Entry]:
    found: dict[str, Entry] = {}
    for row in site.run("kind-index", kind=PG + kind):
        entry = found.setdefault(row["resource"].value, Entry(row["resource"].value))
        if row["type"].value not in entry.types:
            entry.types.append(row["type"].value)
        if "edition" in row:
            entry.edition = row["edition"].value
        entry.links = max(entry.links, int(row["links"].value))
    for entry in found.values():  # the most specific type only
        specific = [
            t
            for t in entry.types
            if not any(o != t and o in site.subclasses(t) for o in entry.types)
        ]
        entry.types = specific or entry.types
    return list(found.values())


def sort_entries(items: list[Entry], key: str, descending: bool) -> list[Entry]:
    keys = {
        "name": lambda e: site.label(e.iri).casefold(),
        "type": lambda e: (site.label(e.types[0]) if e.types else "", site.label(e.iri)),
        "edition": lambda e: (e.edition or "", site.label(e.iri)),
        "links": lambda e: (e.links, site.label(e.iri)),
    }
    return sorted(items, key=keys[key], reverse=descending)


@blueprint.get("/<any(" + ", ".join(KINDS) + "):folder>")
@blueprint.get("/<any(" + ", ".join(KINDS) + "):folder>/")
def index(folder: str) -> Response:
    kind = KINDS[folder]
    sort = request.args.get("sort", "name")
    if sort not in SORTS:
        raise PlanGraphError(f"sort must be one of {', '.join(SORTS)} / 排序参数无效", status=400)
    fmt = negotiate_format(what="this index")
    items = entries(kind)
    if fmt != "html":
        member = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#member")
        container = ox.NamedNode(state().config.base_iri + folder)
        return rdf_response([ox.Triple(container, member, ox.NamedNode(e.iri)) for e in items], fmt)
    descending = request.args.get("order") == "desc"
    by_type: dict[str, int] = defaultdict(int)
    for entry in items:
        for type_ in entry.types:
            by_type[type_] += 1
    return html_response(
        render(
            "index.html",
            None,
            kind=PG + kind,
            folder=folder,
            items=sort_entries(items, sort, descending),
            sort=sort,
            descending=descending,
            by_type=sorted(by_type.items(), key=lambda kv: -kv[1]),
            has_editions=any(e.edition for e in items),
            kinds=KINDS,
        )
    )
