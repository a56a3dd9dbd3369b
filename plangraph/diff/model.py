"""One edition as the comparison sees it: its elements, targets, roles, zones and properties,
read from the store with the queries beside this module.

Only the shortcut properties and element classes of docs/MODEL.md are read, so a curated
edition and a draft from `plangraph ingest` are read alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, cached_property
from importlib import resources

import pyoxigraph as ox

from plangraph.namespace import PG

# The order elements are matched in: areas first, so that tasks know which areas correspond.
KINDS = (
    "TaskArea",
    "Task",
    "Principle",
    "Goal",
    "Preamble",
    "GuidingIdeology",
    "SafeguardMeasure",
)
NAMES = str(PG.namesInstitution)
# Markup, spaces and punctuation say nothing about what a plan asks for: matching ignores them.
_NOISE = re.compile(r"[\s*#_`>|·•、，。；：！？,.;:!?“”‘’\"'（）()《》〈〉【】\[\]—–\-]+")


@cache
def query(name: str) -> str:
    return (resources.files("plangraph.diff") / f"{name}.rq").read_text(encoding="utf-8")


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), then without spaces, markup and punctuation."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text))


@dataclass
class Element:
    iri: str
    kind: str
    number: int | None = None
    area: str | None = None
    heading: str = ""
    text: str = ""
    label_zh: str = ""
    label_en: str = ""
    # institution IRI -> role property IRIs, as the text states them (inferences kept apart)
    roles: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    inferred: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @property
    def full(self) -> str:
        """Heading and text as a reader sees them; what rewording is shown on."""
        if self.heading and self.text:
            return f"{self.heading}。{self.text}"
        return self.heading or self.text or self.label_zh

    @cached_property
    def norm(self) -> str:
        """Computed once: set heading and text before reading it."""
        return normalise(self.full)

    @cached_property
    def grams(self) -> frozenset[str]:
        n = self.norm
        return frozenset(n[i : i + 2] for i in range(len(n) - 1))

    @property
    def name(self) -> str:
        return self.heading or self.label_zh or self.text[:40]


@dataclass
class Target:
    iri: str
    goal: str | None
    number: int | None
    value: Decimal | None
    unit: str | None
    comparator: str | None
    basis: str | None
    deadline: int | None
    measures: str | None
    label: str


@dataclass
class Zone:
    iri: str
    layout: str
    role_iri: str  # a pg:zoneRole concept, or a zone class under pg:Zone
    places: set[str] = field(default_factory=set)
    function: str = ""
    label: str = ""

    @property
    def role(self) -> str:
        """`core`, `point`, …: the same for a concept (zone-role/core) and a class (pg:Core)."""
        return self.role_iri.replace("#", "/").rsplit("/", 1)[-1].lower()


@dataclass
class Edition:
    iri: str
    elements: dict[str, list[Element]]  # kind -> elements in number order
    targets: list[Target]
    zones: list[Zone]
    properties: dict[str, set[str]]  # property IRI -> values (IRIs or lexical forms)
    by_iri: dict[str, Element]

    @property
    def slug(self) -> str:
        return self.iri.rstrip("/").rsplit("/", 1)[-1]

    def size(self) -> int:
        return sum(len(v) for v in self.elements.values())


def _s(term: object) -> str:
    return "" if term is None else term.value  # type: ignore[attr-defined]


def _int(term: object) -> int | None:
    try:
        return int(_s(term)) if term is not None else None
    except ValueError:
        return None


def _decimal(term: object) -> Decimal | None:
    try:
        return Decimal(_s(term)) if term is not None else None
    except InvalidOperation:
        return None


def read(store: ox.Store, iri: str) -> Edition:
    """The edition `iri` as held in `store` (the union of its graphs)."""
    bind = {ox.Variable("edition"): ox.NamedNode(iri)}

    def rows(name: str) -> list[ox.QuerySolution]:
        return list(
            store.query(query(name), substitutions=bind, use_default_graph_as_union=True)  # type: ignore[arg-type]
        )

    by_iri: dict[str, Element] = {}
    for r in rows("elements"):
        key = r["element"].value
        element = by_iri.get(key)
        if element is None:
            kind = r["type"].value.rsplit("#", 1)[-1]
            element = by_iri[key] = Element(key, kind)
        element.number = element.number or _int(r["number"])
        element.area = element.area or (_s(r["area"]) or None)
        element.heading = element.heading or _s(r["heading"])
        element.text = element.text or _s(r["text"])
        element.label_zh = element.label_zh or _s(r["labelZh"])
        element.label_en = element.label_en or _s(r["labelEn"])
    for r in rows("roles"):
        element = by_iri.get(r["element"].value)
        if element is None:
            continue
        into = element.inferred if r["inferred"].value == "true" else element.roles
        into[r["institution"].value].add(r["role"].value)
    elements: dict[str, list[Element]] = {k: [] for k in KINDS}
    for element in by_iri.values():
        elements[element.kind].append(element)
    for items in elements.values():
        items.sort(key=lambda e: (e.number if e.number is not None else 10**9, e.iri))
    targets: dict[str, Target] = {}
    for r in rows("targets"):
        key = r["target"].value
        if key in targets:
            continue
        deadline = _s(r["deadline"])[:4]
        targets[key] = Target(
            key,
            _s(r["goal"]) or None,
            _int(r["number"]),
            _decimal(r["value"]),
            _s(r["unit"]) or None,
            _s(r["comparator"]) or None,
            _s(r["basis"]) or None,
            int(deadline) if deadline.isdigit() else None,
            _s(r["measures"]) or None,
            _s(r["label"]),
        )
    zones: dict[str, Zone] = {}
    for r in rows("zones"):
        key = r["zone"].value
        zone = zones.setdefault(
            key,
            Zone(key, r["layout"].value, r["role"].value, label=_s(r["label"])),
        )
        if r["place"] is not None:
            zone.places.add(r["place"].value)
        zone.function = zone.function or _s(r["function"])
    properties: dict[str, set[str]] = defaultdict(set)
    for r in rows("edition"):
        properties[r["property"].value].add(r["value"].value)
    return Edition(
        iri,
        elements,
        sorted(targets.values(), key=lambda t: (t.goal or "", t.number or 0, t.iri)),
        sorted(zones.values(), key=lambda z: z.iri),
        dict(properties),
        by_iri,
    )


def links(store: ox.Store, old: str, new: str) -> list[tuple[str, str]]:
    """The curator's pg:revises links from elements of `new` to elements of `old`."""
    bind = {
        ox.Variable("oldEdition"): ox.NamedNode(old),
        ox.Variable("newEdition"): ox.NamedNode(new),
    }
    return [
        (r["new"].value, r["old"].value)
        for r in store.query(query("links"), substitutions=bind, use_default_graph_as_union=True)  # type: ignore[arg-type, union-attr]
    ]
