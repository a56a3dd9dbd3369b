"""From matched elements to changes: what kind each correspondence is, and what else moved
with it (targets, institution roles, zones and places, the edition's own properties).

A property stated by only one of the two editions is not a change: a draft that does not state a
deadline has not moved it. Such one-sided statements are kept in `Comparison.unstated`. Roles
that are inferences (pg:InferredProperty) are not compared, and `pg:namesInstitution` (the text
names the body, the role unstated) never counts as a role change, only as involvement.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pyoxigraph as ox
from rapidfuzz.distance import Indel

from plangraph.diff import matching
from plangraph.diff.matching import SAME_KEY, Matching
from plangraph.diff.model import (
    KINDS,
    NAMES,
    Edition,
    Element,
    Target,
    Zone,
    links,
    normalise,
    read,
)
from plangraph.namespace import PG


@dataclass
class Change:
    kind: str  # local name of a pg:ChangeKind: "Renumbered", "RoleGained", …
    element: str  # what changed: "Task", "Target", "Zone", "Edition", …
    old: list[str] = field(default_factory=list)  # IRIs in the older edition
    new: list[str] = field(default_factory=list)
    method: str | None = None  # pg:MatchMethod IRI
    score: float | None = None
    prop: str | None = None  # the changed property IRI
    old_value: str | None = None
    new_value: str | None = None
    old_term: str | None = None
    new_term: str | None = None
    concerns: str | None = None
    difference: Decimal | None = None
    ratio: Decimal | None = None
    ops: list[tuple[str, str]] | None = None  # ("eq" | "del" | "ins", text) for rewording


@dataclass
class Comparison:
    old: Edition
    new: Edition
    changes: list[Change]
    matchings: dict[str, Matching]
    unstated: list[tuple[str, str, str]]  # (subject IRI, property IRI, "old" | "new")
    # Role differences on an element whose text did not change: the two records read the same
    # words differently (a curation or extraction gap), which is not a change of the plan.
    disagreements: list[Change] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def id(self) -> str:
        return f"{self.old.slug}--{self.new.slug}"

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for c in self.changes:
            counts[c.kind] += 1
        return dict(counts)


def compare(store: ox.Store, old_iri: str, new_iri: str) -> Comparison:
    """Compare two editions held in `store`: every element, target, role, zone and property."""
    started = time.perf_counter()
    old, new = read(store, old_iri), read(store, new_iri)
    return compare_editions(old, new, links(store, old_iri, new_iri), started)


def compare_editions(
    old: Edition, new: Edition, curator: list[tuple[str, str]], started: float | None = None
) -> Comparison:
    started = time.perf_counter() if started is None else started
    changes: list[Change] = []
    unstated: list[tuple[str, str, str]] = []
    matchings: dict[str, Matching] = {}
    area_map: dict[str, str] = {}
    for kind in KINDS:
        m = matching.match(
            old.elements[kind],
            new.elements[kind],
            curator,
            area_map if kind == "Task" else None,
        )
        matchings[kind] = m
        unstated += _one_sided(kind, m, old, new)
        if kind == "TaskArea":
            area_map = m.pairs()
        changes += _element_changes(kind, m, area_map)
    goal_map = _many(matchings["Goal"])
    changes += _targets(old.targets, new.targets, goal_map, unstated)
    changes += _zones(old.zones, new.zones)
    changes += _metadata(old, new, unstated)
    disagreements = [c for c in changes if c.kind.startswith("Role") and _same_text(c, old, new)]
    changes = [c for c in changes if not any(c is d for d in disagreements)]
    return Comparison(
        old, new, changes, matchings, unstated, disagreements, time.perf_counter() - started
    )


def _same_text(change: Change, old: Edition, new: Edition) -> bool:
    a, b = old.by_iri.get(change.old[0]), new.by_iri.get(change.new[0])
    return a is not None and b is not None and a.norm == b.norm


def _many(m: Matching) -> dict[str, set[str]]:
    """Old IRI -> the new IRIs it corresponds to (several after a split)."""
    out: dict[str, set[str]] = defaultdict(set)
    for match in m.matches:
        for o in match.old:
            out[o.iri].update(n.iri for n in match.new)
    return out


def _element_changes(kind: str, m: Matching, area_map: dict[str, str]) -> list[Change]:
    out: list[Change] = []
    for match in m.matches:
        olds, news = [e.iri for e in match.old], [e.iri for e in match.new]
        base = {"element": kind, "old": olds, "new": news, "method": match.method}
        if len(match.old) > 1 or len(match.new) > 1:
            which = "Split" if len(match.new) > 1 else "Merged"
            out.append(Change(which, score=match.score, **base))  # type: ignore[arg-type]
            continue
        o, n = match.old[0], match.new[0]
        kinds = []
        if o.number != n.number and o.number is not None and n.number is not None:
            kinds.append("Renumbered")
        if kind == "Task" and o.area and n.area and area_map.get(o.area) != n.area:
            kinds.append("Moved")
        if o.norm != n.norm:
            kinds.append("Reworded")
        score = match.score if match.method != matching.SAME else 1.0
        if match.method == matching.CURATOR or match.method == matching.CONTAINED:
            score = matching.similarity(o.norm, n.norm)
        for k in kinds or ["Unchanged"]:
            ops = _ops(o.full, n.full) if k == "Reworded" else None
            out.append(Change(k, score=round(score, 4), ops=ops, **base))  # type: ignore[arg-type]
        out += _roles(kind, o, n)
    for e in m.removed:
        out.append(Change("Removed", kind, old=[e.iri]))
    for e in m.added:
        out.append(Change("Added", kind, new=[e.iri]))
    return out


def _one_sided(kind: str, m: Matching, old: Edition, new: Edition) -> list[tuple[str, str, str]]:
    """Unnumbered elements (a preamble, an overall goal) of a kind of which the other record has
    no unnumbered element at all: that record does not model that part of the text (a draft of
    the ingestion tool has no overall goal), which is no evidence that the text lost or gained it.
    They leave `removed`/`added` and are listed as stated by one side only."""
    out = []
    for side, other, leftover in (("old", new, m.removed), ("new", old, m.added)):
        if any(e.number is None for e in other.elements[kind]):
            continue
        for e in [e for e in leftover if e.number is None]:
            leftover.remove(e)
            out.append((e.iri, str(PG[kind]), side))
    return out


def _ops(old: str, new: str) -> list[tuple[str, str]]:
    """Character-level inserts and deletes, with one-character islands of sameness folded into
    the change around them, so the view reads in words rather than scattered characters."""
    raw: list[tuple[str, str, str]] = []  # (tag, old text, new text)
    for op in Indel.opcodes(old, new):
        a, b = old[op.src_start : op.src_end], new[op.dest_start : op.dest_end]
        tag = {"equal": "eq", "delete": "del", "insert": "ins"}[op.tag]
        raw.append((tag, a, b))
    for i in range(1, len(raw) - 1):
        tag, a, _ = raw[i]
        if tag == "eq" and len(a) <= 1 and raw[i - 1][0] != "eq" and raw[i + 1][0] != "eq":
            raw[i] = ("sub", a, a)
    out: list[tuple[str, str]] = []
    pending_del, pending_ins = "", ""
    for tag, a, b in raw:
        if tag == "eq":
            if pending_del:
                out.append(("del", pending_del))
            if pending_ins:
                out.append(("ins", pending_ins))
            pending_del = pending_ins = ""
            out.append(("eq", a))
        else:
            pending_del += a if tag in {"del", "sub"} else ""
            pending_ins += b if tag in {"ins", "sub"} else ""
    if pending_del:
        out.append(("del", pending_del))
    if pending_ins:
        out.append(("ins", pending_ins))
    return out


def _specific(roles: set[str]) -> set[str]:
    return roles - {NAMES}


def _roles(kind: str, o: Element, n: Element) -> list[Change]:
    out = []
    base = {"element": kind, "old": [o.iri], "new": [n.iri]}
    for inst in sorted(set(o.roles) | set(n.roles)):
        before, after = o.roles.get(inst, set()), n.roles.get(inst, set())
        if not before:
            role = min(_specific(after) or after)
            out.append(Change("RoleGained", prop=role, new_term=role, concerns=inst, **base))  # type: ignore[arg-type]
        elif not after:
            role = min(_specific(before) or before)
            out.append(Change("RoleLost", prop=role, old_term=role, concerns=inst, **base))  # type: ignore[arg-type]
        elif _specific(before) and _specific(after) and _specific(before) != _specific(after):
            out.append(
                Change(
                    "RoleChanged",
                    old_term=min(_specific(before)),
                    new_term=min(_specific(after)),
                    concerns=inst,
                    **base,  # type: ignore[arg-type]
                )
            )
    return out


# --- targets -------------------------------------------------------------------------------

TARGET_PROPS = (
    ("value", PG.value),
    ("unit", PG.unit),
    ("comparator", PG.comparator),
    ("basis", PG.basis),
    ("deadline", PG.deadline),
)


def _targets(
    old: list[Target],
    new: list[Target],
    goal_map: dict[str, set[str]],
    unstated: list[tuple[str, str, str]],
) -> list[Change]:
    """Targets pair by key, not text: the corresponding goal, what they count, and the unit."""
    free_old, free_new = list(old), list(new)
    pairs: list[tuple[Target, Target]] = []
    candidates = []
    for o in old:
        goals = goal_map.get(o.goal or "", set())
        for n in new:
            in_goal = n.goal in goals
            if o.unit != n.unit or not (in_goal or (o.measures and o.measures == n.measures)):
                continue
            # Several targets of one goal may count the same thing (10, 100, 1000 名): the
            # corresponding goal first, then what is counted, the same figure, the same position.
            score = (in_goal, o.measures == n.measures, o.value == n.value, o.number == n.number)
            candidates.append((score, o, n))
    candidates.sort(key=lambda c: c[0], reverse=True)
    for _, o, n in candidates:
        if o in free_old and n in free_new:
            pairs.append((o, n))
            free_old.remove(o)
            free_new.remove(n)
    out: list[Change] = []
    for o, n in pairs:
        found = False
        for name, prop in TARGET_PROPS:
            a, b = getattr(o, name), getattr(n, name)
            if a is None or b is None:
                if (a is None) != (b is None):
                    unstated.append(
                        (o.iri if a is not None else n.iri, str(prop), "new" if b else "old")
                    )
                continue
            if a == b:
                continue
            found = True
            change = Change("TargetChanged", "Target", [o.iri], [n.iri], SAME_KEY, prop=str(prop))
            if isinstance(a, str):
                change.old_term, change.new_term = a, b
            else:
                change.old_value, change.new_value = str(a), str(b)
            if name == "value" and o.unit == n.unit:
                change.difference = b - a
                change.ratio = (b / a).quantize(Decimal("0.0001")) if a else None
            if name == "deadline":
                change.difference = Decimal(b - a)
            out.append(change)
        if not found:
            out.append(Change("Unchanged", "Target", [o.iri], [n.iri], SAME_KEY))
    out += [Change("Removed", "Target", old=[t.iri]) for t in free_old]
    out += [Change("Added", "Target", new=[t.iri]) for t in free_new]
    return out


# --- layouts -------------------------------------------------------------------------------


def _zones(old: list[Zone], new: list[Zone]) -> list[Change]:
    """Zones pair by role and shared places (their IRIs differ between a curated edition and a
    draft); places then are added to, removed from, or reassigned between paired zones."""
    candidates = []
    for o in old:
        for n in new:
            shared = len(o.places & n.places)
            union = len(o.places | n.places) or 1
            same_role = o.role == n.role
            if shared or (same_role and o.iri == n.iri):
                candidates.append((shared / union + same_role, o, n))
            elif same_role and not o.places and not n.places:
                candidates.append((0.5, o, n))
    candidates.sort(key=lambda c: c[0], reverse=True)
    zone_map: dict[str, str] = {}
    out: list[Change] = []
    taken: set[str] = set()
    for _, o, n in candidates:
        if o.iri in zone_map or n.iri in taken:
            continue
        zone_map[o.iri] = n.iri
        taken.add(n.iri)
        kind = "Unchanged" if o.role == n.role and o.places == n.places else None
        if o.role != n.role:
            out.append(
                Change(
                    "Reworded",
                    "Zone",
                    [o.iri],
                    [n.iri],
                    SAME_KEY,
                    prop=str(PG.inLayout),  # the zone's role changed
                    old_term=o.role_iri,
                    new_term=n.role_iri,
                )
            )
        elif kind:
            out.append(Change(kind, "Zone", [o.iri], [n.iri], SAME_KEY))
    for o in old:
        if o.iri not in zone_map:
            out.append(Change("Removed", "Zone", old=[o.iri]))
    for n in new:
        if n.iri not in taken:
            out.append(Change("Added", "Zone", new=[n.iri]))
    old_at = {p: z for z in old for p in z.places}
    new_at = {p: z for z in new for p in z.places}
    for place in sorted(set(old_at) | set(new_at)):
        a, b = old_at.get(place), new_at.get(place)
        if a and b and zone_map.get(a.iri) != b.iri:
            out.append(
                Change(
                    "PlaceReassigned",
                    "Zone",
                    [a.iri],
                    [b.iri],
                    concerns=place,
                    old_term=a.role_iri,
                    new_term=b.role_iri,
                )
            )
        elif b and not a and b.iri in taken:
            out.append(Change("PlaceAdded", "Zone", [], [b.iri], concerns=place))
        elif a and not b and a.iri in zone_map:
            out.append(Change("PlaceRemoved", "Zone", [a.iri], [], concerns=place))
    return out


# --- the edition itself ----------------------------------------------------------------------


def _metadata(old: Edition, new: Edition, unstated: list[tuple[str, str, str]]) -> list[Change]:
    out = []
    for prop in sorted(set(old.properties) | set(new.properties)):
        a, b = old.properties.get(prop, set()), new.properties.get(prop, set())
        if not a or not b:
            unstated.append((old.iri if a else new.iri, prop, "old" if a else "new"))
            continue
        if a == b or {normalise(v) for v in a} == {normalise(v) for v in b}:
            continue
        iris = all(v.startswith(("http://", "https://")) for v in a | b)
        if iris:
            for v in sorted(a - b):
                out.append(
                    Change(
                        "MetadataChanged", "Edition", [old.iri], [new.iri], prop=prop, old_term=v
                    )
                )
            for v in sorted(b - a):
                out.append(
                    Change(
                        "MetadataChanged", "Edition", [old.iri], [new.iri], prop=prop, new_term=v
                    )
                )
        else:
            change = Change(
                "MetadataChanged",
                "Edition",
                [old.iri],
                [new.iri],
                prop=prop,
                old_value="；".join(sorted(a)),
                new_value="；".join(sorted(b)),
            )
            if len(a) == len(b) == 1 and next(iter(a)).isdigit() and next(iter(b)).isdigit():
                change.difference = Decimal(int(next(iter(b))) - int(next(iter(a))))
            out.append(change)
    return out
