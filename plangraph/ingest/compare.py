"""Score a draft edition against a curated one: precision and recall of what ingestion extracts.

Used by the tests and by bench/ingest_bench.py, so the figures a person reads are the figures
the tests hold to. Both sides are read as RDF with the same queries. Institutions and places are
compared by name as well as by IRI: a draft of a plan nobody has seen mints draft IRIs for the
bodies and places the registry lacks, and a body found that way is found all the same.

`evaluate` is the honest measure: the draft is made with a gazetteer that has left the scored
text out (`gazetteer.leave_out`), as a curator's first run on a new plan would be.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox

from plangraph.config import BASE_IRI
from plangraph.ingest.gazetteer import Gazetteer, name_key, query_text

ASPECTS = {
    "tasks": "tasks by number and heading",
    "targets": "targets by value, unit and comparator",
    "institutions": "institutions by IRI in the elements' stated involvements (not inferred)",
    "institution names": "the same institutions by name (any zh label, normalised)",
    "zones": "layout zones by role and member places (places by name)",
}
# The queries live in queries/score-*.rq; ?e is bound to the edition scored.
_TASKS = "score-tasks"
_TARGETS = "score-targets"
_INSTITUTIONS = "score-institutions"
_ZONES = "score-zones"
_LABELS = "score-labels"


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
            f"{self.aspect:<18} precision {self.precision:.2f}  recall {self.recall:.2f}  "
            f"({self.matched} matched, {self.found} found, {self.expected} curated)"
        )


def _store(turtle: str | Path) -> ox.Store:
    store = ox.Store()
    data = turtle.read_bytes() if isinstance(turtle, Path) else turtle.encode("utf-8")
    store.load(data, format=ox.RdfFormat.TURTLE, base_iri=BASE_IRI)
    return store


def _rows(store: ox.Store, query: str, edition: str) -> list[ox.QuerySolution]:
    bound = {ox.Variable("e"): ox.NamedNode(edition)}
    return list(store.query(query_text(query), substitutions=bound))


def _names(store: ox.Store, registry: Gazetteer) -> dict[str, frozenset[str]]:
    """Every IRI's normalised zh names: the registry's and those the file itself gives."""
    names: dict[str, set[str]] = {}
    for table in (registry.institutions, registry.places):
        for name, iri in table.items():
            names.setdefault(iri, set()).add(name)
    for row in store.query(query_text(_LABELS)):
        names.setdefault(row["s"].value, set()).add(name_key(row["name"].value))
    return {iri: frozenset(n) for iri, n in names.items()}


@dataclass
class Facts:
    counters: dict[str, Counter[Hashable]]
    institutions: list[frozenset[str]]  # each institution's names
    zones: list[tuple[str, tuple[frozenset[str], ...]]]  # role, each place's names


def facts(turtle: str | Path, edition: str, gaz: Gazetteer, registry: Gazetteer) -> Facts:
    """The comparable facts of one edition. `gaz` says which zone roles count; `registry`
    gives the names of IRIs the file does not label itself."""
    store = _store(turtle)
    names = _names(store, registry)
    counters: dict[str, Counter[Hashable]] = {}
    counters["tasks"] = Counter(
        (int(r["n"].value), _heading(r["h"].value if r["h"] is not None else ""))
        for r in _rows(store, _TASKS, edition)
    )
    counters["targets"] = Counter(
        (Decimal(r["v"].value).normalize(), r["u"].value, r["c"].value)
        for r in _rows(store, _TARGETS, edition)
    )
    linked = sorted({r["i"].value for r in _rows(store, _INSTITUTIONS, edition)})
    counters["institutions"] = Counter(dict.fromkeys(linked, 1))
    institutions = [names.get(i, frozenset({i})) for i in linked]
    zones: dict[str, tuple[set[str], set[str]]] = {}
    for r in _rows(store, _ZONES, edition):
        role_set, places = zones.setdefault(r["z"].value, (set(), set()))
        role_set.add(r["role"].value)
        if r["place"] is not None:
            places.add(r["place"].value)
    zone_list = [
        (
            "|".join(sorted(role_set)),
            tuple(names.get(p, frozenset({p})) for p in sorted(places)),
        )
        for role_set, places in zones.values()
    ]
    return Facts(counters, institutions, zone_list)


def _heading(text: str) -> str:
    return "".join(name_key(text).split()).rstrip("。.")


def _match_names(got: Iterable[frozenset[str]], want: Iterable[frozenset[str]]) -> int:
    """One-to-one matches of things that share a name, greedily in order."""
    left = list(want)
    matched = 0
    for names in got:
        for k, other in enumerate(left):
            if names & other:
                matched += 1
                del left[k]
                break
    return matched


def _match_zones(
    got: list[tuple[str, tuple[frozenset[str], ...]]],
    want: list[tuple[str, tuple[frozenset[str], ...]]],
) -> int:
    left = list(want)
    matched = 0
    for role, places in got:
        for k, (other_role, other_places) in enumerate(left):
            same = len(places) == len(other_places) and _match_names(places, other_places) == len(
                places
            )
            if role == other_role and same:
                matched += 1
                del left[k]
                break
    return matched


def compare(
    draft: str | Path,
    curated: str | Path,
    gaz: Gazetteer,
    edition: str,
    curated_edition: str | None = None,
    registry: Gazetteer | None = None,
) -> dict[str, Score]:
    """Precision and recall of the draft's facts against the curated edition's, per aspect.

    `registry` names the IRIs on both sides (default `gaz`); pass the full registry when `gaz`
    is a leave-one-out gazetteer, so that the curated side's bodies keep their names."""
    registry = registry or gaz
    got = facts(draft, edition, gaz, registry)
    want = facts(curated, curated_edition or edition, gaz, registry)
    scores = {
        aspect: Score(
            aspect,
            sum(want.counters[aspect].values()),
            sum(got.counters[aspect].values()),
            sum((got.counters[aspect] & want.counters[aspect]).values()),
        )
        for aspect in ("tasks", "targets", "institutions")
    }
    scores["institution names"] = Score(
        "institution names",
        len(want.institutions),
        len(got.institutions),
        _match_names(got.institutions, want.institutions),
    )
    scores["zones"] = Score(
        "zones", len(want.zones), len(got.zones), _match_zones(got.zones, want.zones)
    )
    return {aspect: scores[aspect] for aspect in ASPECTS}


# The goals for a draft made without the scored text (precision, recall). Institutions
# by IRI have none: a body the registry lacks can only get a draft IRI.
GOALS = {
    "tasks": (1.0, 1.0),
    "targets": (0.95, 0.95),
    "institution names": (0.9, 0.8),
    "zones": (0.9, 0.9),
}


def below_goal(scores: dict[str, Score]) -> list[str]:
    """The aspects whose precision or recall is under the issue's goal, said in one line each."""
    out = []
    for aspect, (precision, recall) in GOALS.items():
        score = scores[aspect]
        if score.precision < precision or score.recall < recall:
            out.append(f"{score} — goal precision {precision:.2f}, recall {recall:.2f}")
    return out


@dataclass(frozen=True)
class Case:
    """One curated edition and the text it was read from, as the bench and the tests score it."""

    edition: str
    text: Path
    curated: Path
    issuer: str | None = None


def evaluate(
    case: Case, full: Gazetteer, *, leave_out: bool = True
) -> tuple[dict[str, Score], str]:
    """Draft `case.text` and score it; with `leave_out` the gazetteer has never seen the text.

    Returns the scores and the draft's Turtle."""
    from plangraph.ingest import gazetteer, ingest

    digest = hashlib.sha256(case.text.read_bytes()).hexdigest()
    gaz = gazetteer.default(without=digest) if leave_out else full
    # with the full registry the edition exists already, so the draft takes another id
    draft_id = case.edition if leave_out else f"{case.edition}-draft"
    draft = ingest(case.text, draft_id, issuer=case.issuer, gazetteer=gaz)
    scores = compare(
        draft.turtle,
        case.curated,
        full,
        f"{BASE_IRI}edition/{draft_id}",
        f"{BASE_IRI}edition/{case.edition}",
        registry=full,
    )
    return scores, draft.turtle
