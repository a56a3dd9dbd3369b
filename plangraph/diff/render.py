"""A comparison as data: an RDF graph in the ontology's diff vocabulary, JSON, and Markdown.

The HTML 对照 page is the web app's (api/compare.py), as pages are.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from plangraph.config import BASE_IRI
from plangraph.diff.changes import Change, Comparison
from plangraph.namespace import PG, PREFIXES, PROV, RDF, XSD

KIND_ZH = {
    "Unchanged": "未变",
    "Renumbered": "重新编号",
    "Moved": "移动",
    "Reworded": "改写",
    "Split": "拆分",
    "Merged": "合并",
    "Added": "新增",
    "Removed": "删除",
    "TargetChanged": "目标变化",
    "RoleGained": "新增角色",
    "RoleLost": "失去角色",
    "RoleChanged": "角色变化",
    "PlaceAdded": "新增地点",
    "PlaceRemoved": "移除地点",
    "PlaceReassigned": "地点改属",
    "MetadataChanged": "版本信息变化",
}


def graph_iri(comparison: Comparison) -> str:
    """The IRI of the comparison, and the name of its graph when it is added to the store."""
    return f"{BASE_IRI}diff/{comparison.id}"


def to_graph(comparison: Comparison) -> Graph:
    """The comparison in the diff vocabulary of ontology/plangraph.ttl (shapes/diff.ttl)."""
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    me = URIRef(graph_iri(comparison))
    old, new = URIRef(comparison.old.iri), URIRef(comparison.new.iri)
    g.add((me, RDF.type, PG.EditionComparison))
    g.add((me, PG.oldEdition, old))
    g.add((me, PG.newEdition, new))
    for n, c in enumerate(comparison.changes, 1):
        node = URIRef(f"{me}/change/{n}")
        g.add((node, RDF.type, PG.Change))
        g.add((node, PG.inComparison, me))
        g.add((node, PG.changeKind, PG[c.kind]))
        if c.element != "Edition":
            for iri in c.old:
                g.add((node, PG.oldElement if _element(c) else PG.concerns, URIRef(iri)))
            for iri in c.new:
                g.add((node, PG.newElement if _element(c) else PG.concerns, URIRef(iri)))
        if c.method:
            g.add((node, PG.matchMethod, URIRef(c.method)))
        if c.score is not None:
            g.add((node, PG.similarity, Literal(Decimal(str(c.score)), datatype=XSD.decimal)))
        if c.prop:
            g.add((node, PG.changedProperty, URIRef(c.prop)))
        for prop, value in ((PG.oldValue, c.old_value), (PG.newValue, c.new_value)):
            if value is not None:
                g.add((node, prop, Literal(value)))
        for prop, value in ((PG.oldTerm, c.old_term), (PG.newTerm, c.new_term)):
            if value is not None:
                g.add((node, prop, URIRef(value)))
        if c.concerns:
            g.add((node, PG.concerns, URIRef(c.concerns)))
        for prop, number in ((PG.difference, c.difference), (PG.ratio, c.ratio)):
            if number is not None:
                g.add((node, prop, Literal(Decimal(number), datatype=XSD.decimal)))
        # A matched pair is a revision in PROV's sense; a split or merge a derivation.
        if _element(c) and c.old and c.new and c.kind != "Unchanged":
            relation = PROV.wasRevisionOf if len(c.old) == len(c.new) == 1 else PROV.wasDerivedFrom
            for a in c.new:
                for b in c.old:
                    g.add((URIRef(a), relation, URIRef(b)))
    return g


def _element(c: Change) -> bool:
    """Changes whose old/new IRIs are plan elements (targets included), not zones."""
    return c.element not in {"Zone", "Edition"}


def to_turtle(comparison: Comparison) -> str:
    return to_graph(comparison).serialize(format="turtle")


def to_trig(comparison: Comparison) -> str:
    """The comparison as one named graph (graph_iri): `plangraph serve --data … diff.trig` then
    answers queries over it like any other graph."""
    name = graph_iri(comparison)
    body = to_graph(comparison).serialize(format="nt")
    return f"<{name}> {{\n{body}}}\n"


def to_nquads(comparison: Comparison) -> bytes:
    """The comparison's triples in its named graph, as N-Quads (what an update adds)."""
    name = ox.NamedNode(graph_iri(comparison))
    triples = ox.parse(
        to_graph(comparison).serialize(format="nt").encode("utf-8"), format=ox.RdfFormat.N_TRIPLES
    )
    quads = [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral() else int(value)
    return value


def to_dict(comparison: Comparison, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything the comparison found, as JSON-ready data (IRIs stay IRIs)."""
    changes = []
    for c in comparison.changes:
        item = {
            "kind": c.kind,
            "element": c.element,
            "old": c.old,
            "new": c.new,
            "method": c.method,
            "similarity": c.score,
            "property": c.prop,
            "oldValue": c.old_value,
            "newValue": c.new_value,
            "oldTerm": c.old_term,
            "newTerm": c.new_term,
            "concerns": c.concerns,
            "difference": _plain(c.difference),
            "ratio": _plain(c.ratio),
            "ops": [{"op": op, "text": text} for op, text in c.ops] if c.ops else None,
        }
        changes.append({k: v for k, v in item.items() if v not in (None, [])})
    return {
        "comparison": graph_iri(comparison),
        "old": comparison.old.iri,
        "new": comparison.new.iri,
        "counts": comparison.counts(),
        "changes": changes,
        "sameTextAnnotatedDifferently": [
            {"kind": c.kind, "old": c.old, "new": c.new, "concerns": c.concerns, "role": c.prop}
            for c in comparison.disagreements
        ],
        "statedByOneSideOnly": [
            {"subject": s, "property": p, "statedIn": side} for s, p, side in comparison.unstated
        ],
        "seconds": round(comparison.seconds, 4),
    }


def to_json(comparison: Comparison) -> str:
    return json.dumps(to_dict(comparison), ensure_ascii=False, indent=2) + "\n"


def _short(iri: str | None) -> str:
    if not iri:
        return ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and prefix != "pgr":
            return f"{prefix}:{iri[len(ns) :]}"
    return iri.replace(BASE_IRI, "")


def _where(c: Change, comparison: Comparison, side: str) -> str:
    edition = comparison.old if side == "old" else comparison.new
    out = []
    for iri in c.old if side == "old" else c.new:
        element = edition.by_iri.get(iri)
        if element is not None and element.number is not None:
            out.append(f"{element.number}")
        else:
            out.append(_short(iri))
    return "+".join(out)


def _ops_markdown(ops: list[tuple[str, str]]) -> str:
    return "".join(
        text if op == "eq" else (f"~~{text}~~" if op == "del" else f"**{text}**")
        for op, text in ops
    )


def _cell(text: str) -> str:
    """Text from the data inside a Markdown table: no cell breaks, and no raw HTML for a renderer
    to pass through (a label reading <script> stays text)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("\n", " ")
    )


def to_markdown(comparison: Comparison) -> str:
    """A report for people: counts, then one line per change (rewordings with ~~del~~/**ins**)."""
    lines = [
        f"# 版本对照 / Comparison: {comparison.old.slug} → {comparison.new.slug}",
        "",
        "| 变化 / change | n |",
        "|---|---:|",
    ]
    lines += [
        f"| {KIND_ZH.get(k, k)} / {k} | {n} |" for k, n in sorted(comparison.counts().items())
    ]
    lines += ["", "| 要素 / element | 变化 / change | 原 / old | 新 / new | 详情 / detail |"]
    lines += ["|---|---|---|---|---|"]
    for c in comparison.changes:
        if c.kind == "Unchanged":
            continue
        detail = ""
        if c.kind == "Reworded" and c.ops:
            detail = _ops_markdown(c.ops)
        elif c.prop or c.concerns:
            a = c.old_value or _short(c.old_term)
            b = c.new_value or _short(c.new_term)
            detail = " ".join(
                x
                for x in (
                    _short(c.prop),
                    _short(c.concerns),
                    f"{a} → {b}" if a or b else "",
                    f"(Δ {_plain(c.difference)}, ×{_plain(c.ratio)})" if c.ratio else "",
                )
                if x
            )
        detail = _cell(detail)
        lines.append(
            f"| {c.element} | {KIND_ZH.get(c.kind, c.kind)} / {c.kind} | "
            f"{_where(c, comparison, 'old')} | {_where(c, comparison, 'new')} | {detail} |"
        )
    if comparison.disagreements:
        lines += ["", "同一文字、不同标注 / same text, annotated differently (not changes):", ""]
        lines += [
            f"- {_where(c, comparison, 'old')} → {_where(c, comparison, 'new')}: "
            f"{c.kind} {_cell(_short(c.concerns))} ({_short(c.prop)})"
            for c in comparison.disagreements
        ]
    return "\n".join(lines) + "\n"
