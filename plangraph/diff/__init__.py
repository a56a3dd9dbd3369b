"""Item-level comparison of two plan editions: `diff(store, "bj-jinke-2020", "xc-jinke-2021")`.

Editions are named by IRI, by slug (`edition/{slug}`), or by a Turtle file holding one
`pg:PlanEdition` (loaded beside the shipped data by `load_with`). The CLI (`plangraph diff`) and
the web app (`/compare/{a}/{b}`) are thin shells over `diff` and the renderers in `render`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from plangraph.config import BASE_IRI
from plangraph.diff.changes import Change, Comparison, compare
from plangraph.diff.model import query
from plangraph.errors import PlanGraphError
from plangraph.store import GraphStore, load

__all__ = ["Change", "Comparison", "UnknownEdition", "diff", "load_with", "resolve"]


@dataclass
class UnknownEdition(PlanGraphError):
    """An edition name that is neither an edition of the data nor a file holding one (404)."""

    status: int = 404


def editions(store: ox.Store) -> list[str]:
    return sorted(
        r["edition"].value
        for r in store.query(query("editions"), use_default_graph_as_union=True)  # type: ignore[union-attr]
    )


def resolve(store: ox.Store, name: str, files: dict[str, str] | None = None) -> str:
    """An edition IRI from an IRI, a slug or a file name that `load_with` loaded."""
    known = editions(store)
    if files and name in files:
        return files[name]
    iri = name if name.startswith(("http://", "https://")) else f"{BASE_IRI}edition/{name}"
    if iri not in known:
        slugs = ", ".join(k.rsplit("/", 1)[-1] for k in known)
        raise UnknownEdition(f"no plan edition {name!r} (known: {slugs}) / 没有这个规划版本")
    return iri


def load_with(data: Iterable[Path], names: Iterable[str]) -> tuple[GraphStore, dict[str, str]]:
    """The data plus any of `names` that is an RDF file; returns the file -> edition IRI map."""
    paths = [Path(n) for n in names if Path(n).suffix and Path(n).is_file()]
    graph = load([*data, *paths])
    files: dict[str, str] = {}
    for path in paths:
        found = {
            t.subject.value
            for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
            if t.predicate.value == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
            and t.object.value == "https://w3id.org/plangraph/ontology#PlanEdition"
        }
        if len(found) != 1:
            raise PlanGraphError(
                f"holds {len(found)} plan editions, not one / 文件中应恰有一个规划版本",
                file=str(path),
            )
        files[str(path)] = found.pop()
    return graph, files


def diff(store: ox.Store, old: str, new: str, files: dict[str, str] | None = None) -> Comparison:
    """Compare edition `old` with edition `new` (IRIs, slugs, or files given to `load_with`)."""
    a, b = resolve(store, old, files), resolve(store, new, files)
    if a == b:
        raise PlanGraphError(f"an edition compared with itself: {old!r} / 不能与自身比较")
    return compare(store, a, b)
