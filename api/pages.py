"""The HTML pages: what each kind of resource shows, assembled from its description and the
queries in `queries/` and `api/page_queries/`; the templates only lay it out.

Every page is server-rendered and readable without JavaScript. Text from the data reaches the
templates as RDF terms or plain strings and is escaped there by Jinja's autoescaping; nothing
from the data is ever marked safe.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import render_template, request

from plangraph.describe import Description, is_blank

from . import layout_diagram, site, source_text, structured
from .site import RDF, RDFS, Term
from .state import state

PG = "https://w3id.org/plangraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
OWL = "http://www.w3.org/2002/07/owl#"
OA = "http://www.w3.org/ns/oa#"
# Properties shown first, in this order; the rest follow by their label.
FIRST = [
    RDF + "type",
    RDFS + "label",
    SKOS + "prefLabel",
    DCTERMS + "title",
    PG + "shortTitle",
    PG + "printedNumber",
    PG + "number",
    PG + "heading",
    PG + "text",
    PG + "editionOf",
    PG + "inEdition",
    PG + "inTaskArea",
    PG + "ofGoal",
]
LAST = [RDFS + "comment", PG + "evidence"]
ELEMENT_ORDER = [
    "Preamble",
    "GuidingIdeology",
    "Principle",
    "Goal",
    "TaskArea",
    "Task",
    "SafeguardMeasure",
    "SpatialLayout",
]


@dataclass
class Prop:
    predicate: str
    objects: list[Term]


@dataclass
class Span:
    quote: str
    source: str | None
    start: int | None
    end: int | None


@dataclass
class View:
    """A description arranged for reading: properties per subject, blank nodes nested."""

    desc: Description
    props: dict[Term, list[Prop]] = field(default_factory=dict)
    inbound: list[tuple[Term, str]] = field(default_factory=list)
    # (owner, span) for every span that points here: who quotes this source, and where
    cited: list[tuple[ox.NamedNode, ox.BlankNode]] = field(default_factory=list)

    @classmethod
    def of(cls, desc: Description) -> View:
        grouped: dict[Term, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for triple in [*desc.own, *desc.inbound]:
            grouped[triple.subject][triple.predicate.value].append(triple.object)
        props = {
            subject: [Prop(p, sorted(objs, key=_object_key)) for p, objs in _ordered(by_p)]
            for subject, by_p in grouped.items()
        }
        node = ox.NamedNode(desc.iri)
        inbound = sorted(
            {
                (t.subject, t.predicate.value)
                for t in desc.inbound
                if t.object == node
                and isinstance(t.subject, ox.NamedNode)
                and not is_blank(t.subject)
            },
            key=lambda sp: (site.label(sp[1]), _number(desc, sp[0]), sp[0].value),
        )
        cited = sorted(
            {
                (owner.subject, t.subject)
                for t in [*desc.own, *desc.inbound]
                if t.object == node and is_blank(t.subject)
                for owner in [*desc.own, *desc.inbound]
                if owner.object == t.subject and not is_blank(owner.subject)
            },
            key=lambda pair: (pair[0].value, pair[1].value),
        )
        view = cls(desc, props, inbound, cited)
        view.cited.sort(key=lambda pair: (view.span(pair[1]).start or 0, pair[0].value))
        return view

    def span(self, node: Term) -> Span:
        """A W3C Web Annotation span: oa:hasSource, and its quote and position selectors."""
        quote = start = end = None
        for selector in self.values(OA + "hasSelector", node):
            quote = quote or self._one(selector, OA + "exact")
            start = start or self._one(selector, OA + "start")
            end = end or self._one(selector, OA + "end")
        source = self._one(node, OA + "hasSource")
        return Span(
            quote.value if quote else "",
            source.value if source else None,
            int(start.value) if start else None,
            int(end.value) if end else None,
        )

    @property
    def node(self) -> ox.NamedNode:
        return ox.NamedNode(self.desc.iri)

    def own(self) -> list[Prop]:
        return self.props.get(self.node, [])

    def values(self, predicate: str, subject: Term | None = None) -> list[Term]:
        for prop in self.props.get(subject or self.node, []):
            if prop.predicate == predicate:
                return prop.objects
        return []

    def first(self, predicate: str, lang: str | None = None) -> Term | None:
        values = self.values(predicate)
        if lang:
            values = [v for v in values if isinstance(v, ox.Literal) and v.language == lang] or [
                v for v in values if isinstance(v, ox.Literal) and not v.language
            ]
        return values[0] if values else None

    def text(self, predicate: str) -> Term | None:
        """A literal in the reader's language, else in the other one."""
        return self.first(predicate, site.lang()) or self.first(predicate, site.other_lang())

    def children(self, term: Term) -> list[Prop] | None:
        return self.props.get(term) if is_blank(term) else None

    def spans(self, subject: Term | None = None) -> list[Span]:
        spans = [self.span(span) for span in self.values(PG + "evidence", subject)]
        return sorted(spans, key=lambda s: (s.source or "", s.start or 0))

    def _one(self, subject: Term, predicate: str) -> Term | None:
        values = self.values(predicate, subject)
        return values[0] if values else None

    def types(self) -> list[str]:
        return [v.value for v in self.values(RDF + "type") if isinstance(v, ox.NamedNode)]

    def is_a(self, class_iri: str) -> bool:
        return bool(set(self.types()) & site.subclasses(class_iri))


def _ordered(by_predicate: dict[str, list[Term]]) -> list[tuple[str, list[Term]]]:
    def key(predicate: str) -> tuple[int, int, str]:
        if predicate in FIRST:
            return (0, FIRST.index(predicate), "")
        if predicate in LAST:
            return (2, LAST.index(predicate), "")
        return (1, 0, site.label(predicate))

    return [(p, by_predicate[p]) for p in sorted(by_predicate, key=key)]


def _object_key(term: Term) -> tuple[int, str, str]:
    if isinstance(term, ox.Literal):
        order = {"zh": 0, "en": 1}.get(term.language or "", 2)
        return (order, term.value, "")
    return (3, site.label(term.value) if isinstance(term, ox.NamedNode) else "", term.value)


def _number(desc: Description, subject: Term) -> int:
    for triple in desc.inbound:
        if triple.subject == subject and triple.predicate.value == PG + "number":
            try:
                return int(triple.object.value)
            except ValueError:
                return 0
    return 0


def _int(term: Term | None) -> int:
    try:
        return int(term.value) if term is not None else 0
    except ValueError:
        return 0


def local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


# --- breadcrumbs ---------------------------------------------------------------------------


def breadcrumbs(view: View) -> list[str]:
    """IRIs from the plan down to the resource's parent: plan → edition → area or goal → …"""
    trail: list[str] = []
    current = view.desc.iri
    seen = {current}
    parents = [PG + p for p in ("inTaskArea", "ofGoal", "inLayout", "inEdition", "editionOf")]
    for _ in range(6):
        parent = _parent(current, parents)
        if parent is None or parent in seen:
            break
        seen.add(parent)
        trail.insert(0, parent)
        current = parent
    return trail


def _parent(iri: str, predicates: list[str]) -> str | None:
    store = state().graph.store
    for predicate in predicates:
        for quad in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(predicate), None):
            if isinstance(quad.object, ox.NamedNode):
                return quad.object.value
    return None


# --- pages ---------------------------------------------------------------------------------


def render(template: str, view: View | None = None, **context: object) -> str:
    context.setdefault("crumbs", breadcrumbs(view) if view else [])
    if "structured_data" not in context and view is not None:
        context["structured_data"] = structured.for_view(view)
    return render_template(template, view=view, page_queries=site.queries_used(), **context)


def resource_page(desc: Description) -> str:
    """The page for any resource, by its most telling type."""
    view = View.of(desc)
    if view.is_a(PG + "PlanEdition"):
        return edition_page(view)
    if view.is_a(PG + "Task"):
        return task_page(view)
    if view.is_a(PG + "Institution"):
        return institution_page(view)
    if view.is_a(PG + "Zone"):
        return zone_page(view)
    if view.is_a(PG + "Theme"):
        return theme_page(view)
    if view.is_a(PG + "Plan"):
        return plan_page(view)
    if view.is_a(PG + "SourceDocument"):
        return source_page(view)
    if view.is_a(PG + "SpatialLayout"):
        return layout_page(view)
    return render("resource.html", view)


def layout_page(view: View) -> str:
    """A spatial layout: its statements, with the diagram of its zones."""
    diagrams = {}
    for edition in view.values(PG + "inEdition"):
        for iri, zones in _layout(site.run("edition-layout", edition=edition.value)).items():
            if iri == view.desc.iri:
                diagrams[iri] = layout_diagram.draw(iri, zones)
    return render("resource.html", view, diagrams=diagrams)


def source_page(view: View) -> str:
    """The source text with numbered lines, the asked span highlighted, every span listed."""
    copy = view.first(PG + "localCopy")
    text = source_text.read(copy.value) if copy is not None else None
    stated = view.first(PG + "sha256")
    mark = source_text.parse_char(request.args.get("char"), len(text.text)) if text else None
    spans = site.run("source-spans", source=view.desc.iri)
    return render(
        "source.html",
        view,
        text=text,
        mark=mark,
        lines=text.lines(mark) if text else [],
        stated_sha256=stated.value if stated is not None else None,
        spans=spans,
        mark_line=text.line_of(mark[0]) if text and mark else None,
    )


def edition_page(view: View) -> str:
    edition = view.desc.iri
    rows = site.run("edition-structure", edition=edition)
    elements: dict[str, dict[str, Term]] = {}
    for row in rows:
        elements.setdefault(row["element"].value, row)
    by_class: dict[str, list[dict[str, Term]]] = defaultdict(list)
    for row in elements.values():
        by_class[local(row["class"].value)].append(row)
    for items in by_class.values():
        items.sort(key=lambda r: (_int(r.get("number")), r["element"].value))
    tasks_by_area: dict[str, list[dict[str, Term]]] = defaultdict(list)
    for task in by_class.get("Task", []):
        tasks_by_area[site.value(task.get("area"))].append(task)
    targets = site.run("edition-targets", edition=edition)
    layout = _layout(site.run("edition-layout", edition=edition))
    targets_by_goal: dict[str, list[dict[str, Term]]] = defaultdict(list)
    for target in targets:
        targets_by_goal[target["goal"].value].append(target)
    return render(
        "edition.html",
        view,
        citation=structured.citation(view.desc.iri),
        by_class=by_class,
        tasks_by_area=tasks_by_area,
        targets_by_goal=targets_by_goal,
        targets=targets,
        layout=layout,
        diagrams={iri: layout_diagram.draw(iri, zones) for iri, zones in layout.items()},
        zones_have_inferred=any(
            inferred
            for zones in layout.values()
            for zone in zones
            for districts in zone.places.values()
            for _, inferred in districts
        ),
        institutions=_institutions(site.run("edition-institutions", edition=edition)),
        sources=site.run("edition-sources", edition=edition),
        order=ELEMENT_ORDER,
    )


@dataclass
class Zone:
    iri: str
    roles: list[str] = field(default_factory=list)
    places: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # place → districts


def _layout(rows: list[dict[str, Term]]) -> dict[str, list[Zone]]:
    layouts: dict[str, dict[str, Zone]] = defaultdict(dict)
    for row in rows:
        zones = layouts[row["layout"].value]
        if "zone" not in row:
            continue
        zone = zones.setdefault(row["zone"].value, Zone(row["zone"].value))
        if "role" in row and row["role"].value not in zone.roles:
            zone.roles.append(row["role"].value)
        if "place" in row:
            districts = zone.places.setdefault(row["place"].value, [])
            for key, inferred in (("district", False), ("inferredDistrict", True)):
                if key in row and (row[key].value, inferred) not in districts:
                    districts.append((row[key].value, inferred))
    return {layout: list(zones.values()) for layout, zones in layouts.items()}


def _institutions(rows: list[dict[str, Term]]) -> list[tuple[str, list[dict[str, Term]]]]:
    grouped: dict[str, list[dict[str, Term]]] = defaultdict(list)
    for row in rows:
        grouped[row["institution"].value].append(row)
    return sorted(
        grouped.items(),
        key=lambda kv: (-sum(_int(r.get("elements")) for r in kv[1]), site.label(kv[0])),
    )


def task_page(view: View) -> str:
    task = view.desc.iri
    edition = view.values(PG + "inEdition")
    siblings: list[dict[str, Term]] = []
    if edition:
        rows = site.run("edition-structure", edition=edition[0].value)
        seen: set[str] = set()
        for row in rows:
            if local(row["class"].value) == "Task" and row["element"].value not in seen:
                seen.add(row["element"].value)
                siblings.append(row)
        siblings.sort(key=lambda r: _int(r.get("number")))
    position = next((i for i, r in enumerate(siblings) if r["element"].value == task), None)
    previous = siblings[position - 1] if position else None
    following = (
        siblings[position + 1] if position is not None and position + 1 < len(siblings) else None
    )
    return render(
        "task.html",
        view,
        institutions=site.run("element-institutions", element=task),
        previous=previous,
        following=following,
    )


def institution_page(view: View) -> str:
    rows = site.run("tasks-by-institution", institution=view.desc.iri)
    by_edition: dict[str, list[dict[str, Term]]] = defaultdict(list)
    for row in rows:
        by_edition[row["edition"].value].append(row)
    return render("institution.html", view, by_edition=by_edition, task_count=len(rows))


def zone_page(view: View) -> str:
    rows = site.run("zone", zone=view.desc.iri)
    zone = _layout([{**r, "zone": view.node} for r in rows]) if rows else {}
    editions = sorted({r["edition"].value for r in rows if "edition" in r})
    siblings: dict[str, list[Zone]] = {}
    for edition in editions:
        siblings.update(_layout(site.run("edition-layout", edition=edition)))
    diagrams = {iri: layout_diagram.draw(iri, zones) for iri, zones in siblings.items()}
    return render(
        "zone.html", view, zone=zone, editions=editions, siblings=siblings, diagrams=diagrams
    )


def theme_page(view: View) -> str:
    tasks = site.run("tasks-by-theme", theme=view.desc.iri)
    others = site.run("theme-elements", theme=view.desc.iri)
    by_edition: dict[str, list[dict[str, Term]]] = defaultdict(list)
    for row in tasks:
        by_edition[row["edition"].value].append(row)
    return render("theme.html", view, by_edition=by_edition, tasks=tasks, others=others)


def plan_page(view: View) -> str:
    rows = [r for r in site.run("plans") if site.value(r.get("plan")) == view.desc.iri]
    counts = {r["edition"].value: r for r in site.run("plan-summary")}
    return render("plan.html", view, editions=rows, counts=counts)


def home_page(dataset: View | None) -> str:
    plans: dict[str, list[dict[str, Term]]] = defaultdict(list)
    for row in site.run("plans"):
        plans[site.value(row.get("plan"))].append(row)
    counts = {r["edition"].value: r for r in site.run("plan-summary")}
    themes: dict[str, list[dict[str, Term]]] = defaultdict(list)
    for row in site.run("themes-index"):
        themes[site.value(row.get("scheme"))].append(row)
    return render(
        "home.html",
        dataset,
        crumbs=[],
        no_crumbs=True,
        plans=plans,
        counts=counts,
        institutions=site.run("institutions-index"),
        themes=themes,
        total_tasks=sum(_int(r.get("tasks")) for r in counts.values()),
        stats=state().stats,
    )


def not_found_page(iri: str) -> str:
    return render("notfound.html", None, iri=iri)
