"""Score a draft edition against a curated one: precision and recall of what ingestion extracts.

Used by the tests and by bench/ingest_bench.py, so the figures a person reads are the figures
the tests hold to. Both sides are read as RDF with the same queries; what counts as the same
fact is stated per aspect in `ASPECTS`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox

from plangraph.config import BASE_IRI
from plangraph.ingest.gazetteer import Gazetteer, name_key

ASPECTS = {
    "tasks": "tasks by number and heading",
    "targets": "targets by value, unit and comparator",
    "institutions": "institutions (by IRI) the edition's elements name, inferred links excluded",
    "zones": "layout zones by role and member places",
}
_TASKS = """
PREFIX pg: <https://w3id.org/plangraph/ontology#>
SELECT * WHERE { ?t a pg:Task ; pg:inEdition ?e ; pg:number ?n . OPTIONAL { ?t pg:heading ?h } }
"""
_TARGETS = """
PREFIX pg: <https://w3id.org/plangraph/ontology#>
SELECT * WHERE {
  ?t a pg:Target ; pg:inEdition ?e ; pg:value ?v ; pg:unit ?u ; pg:comparator ?c }
"""
_INSTITUTIONS = """
PREFIX pg: <https://w3id.org/plangraph/ontology#>
SELECT DISTINCT ?i ?e WHERE {
  ?x pg:inEdition ?e ; pg:qualifiedInvolvement ?n . ?n pg:institution ?i ; pg:inferred false }
"""
_ZONES = """
PREFIX pg: <https://w3id.org/plangraph/ontology#>
SELECT * WHERE {
  ?z pg:inLayout ?l ; pg:zoneRole ?role . ?l pg:inEdition ?e . OPTIONAL { ?z pg:hasPlace ?place } }
"""


@dataclass(frozen=True)
class Score:
    aspect: str
    expected: int
    found: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else (1.0 if not self.expected else 0.0)

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    def __str__(self) -> str:
        return (
            f"{self.aspect:<13} precision {self.precision:.2f}  recall {self.recall:.2f}  "
            f"({self.matched} matched, {self.found} found, {self.expected} curated)"
        )


def _store(turtle: str | Path) -> ox.Store:
    store = ox.Store()
    data = turtle.read_bytes() if isinstance(turtle, Path) else turtle.encode("utf-8")
    store.load(data, format=ox.RdfFormat.TURTLE, base_iri=BASE_IRI)
    return store


def _rows(store: ox.Store, query: str, edition: str) -> list[ox.QuerySolution]:
    return list(store.query(query, substitutions={ox.Variable("e"): ox.NamedNode(edition)}))


def facts(turtle: str | Path, edition: str, gaz: Gazetteer) -> dict[str, Counter[Hashable]]:
    """The comparable facts of one edition, each aspect a multiset."""
    store = _store(turtle)
    out: dict[str, Counter[Hashable]] = {}
    out["tasks"] = Counter(
        (int(r["n"].value), _heading(r["h"].value if r["h"] is not None else ""))
        for r in _rows(store, _TASKS, edition)
    )
    out["targets"] = Counter(
        (Decimal(r["v"].value).normalize(), r["u"].value, r["c"].value)
        for r in _rows(store, _TARGETS, edition)
    )
    out["institutions"] = Counter({r["i"].value: 1 for r in _rows(store, _INSTITUTIONS, edition)})
    zones: dict[str, tuple[set[str], set[str]]] = {}
    for r in _rows(store, _ZONES, edition):
        role_set, places = zones.setdefault(r["z"].value, (set(), set()))
        role_set.add(r["role"].value)
        if r["place"] is not None:
            places.add(r["place"].value)
    out["zones"] = Counter(
        (frozenset(role_set), frozenset(places)) for role_set, places in zones.values()
    )
    return out


def _heading(text: str) -> str:
    return "".join(name_key(text).split()).rstrip("。.")


def compare(
    draft: str | Path,
    curated: str | Path,
    gaz: Gazetteer,
    edition: str,
    curated_edition: str | None = None,
) -> dict[str, Score]:
    """Precision and recall of the draft's facts against the curated edition's, per aspect."""
    got = facts(draft, edition, gaz)
    want = facts(curated, curated_edition or edition, gaz)
    return {
        aspect: Score(
            aspect,
            sum(want[aspect].values()),
            sum(got[aspect].values()),
            sum((got[aspect] & want[aspect]).values()),
        )
        for aspect in ASPECTS
    }


GOALS = {
    "tasks": (1.0, 1.0),
    "targets": (0.9, 0.9),
    "zones": (0.9, 0.9),
    "institutions": (0.9, 0.85),
}


def below_goal(scores: dict[str, Score]) -> list[str]:
    """The aspects whose precision or recall is under the issue's goal, said in one line each."""
    out = []
    for aspect, (precision, recall) in GOALS.items():
        score = scores[aspect]
        if score.precision < precision or score.recall < recall:
            out.append(f"{score} — goal precision {precision:.2f}, recall {recall:.2f}")
    return out
