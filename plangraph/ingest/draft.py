"""Write a draft edition as Turtle, subjects in the order of the text, each with its evidence.

Hand-written rather than serialised by a library, so that the file reads like the curated
editions: prefixes once, one block per subject, a comment line naming the source section.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from plangraph import __version__
from plangraph.config import BASE_IRI
from plangraph.ingest.discover import pinyin_label
from plangraph.ingest.extract import Extraction, Layout, Link, Span, Target
from plangraph.ingest.gazetteer import trie_pattern
from plangraph.ingest.reading import Source
from plangraph.ingest.structure import Element, Structure
from plangraph.namespace import DCTERMS, OA, PG, PGU, PROV, RDFS, SKOS, XSD

PREFIXES = {
    "pg": str(PG._NS),
    "oa": str(OA),
    "pgu": str(PGU._NS),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "skos": str(SKOS),
}
LABEL_MAX = 40
CONTEXT_MAX = 32  # longest oa:prefix / oa:suffix tried to make a repeated quote unique
CONTEXT_OTHERS = 8
MACHINE_EN = (
    "英文标签为机器音译（汉语拼音），请核对或改为译名。",
    "The English label is a machine transliteration (pinyin); check it or replace it with a "
    "translation.",
)


@dataclass
class Draft:
    """A draft edition: its Turtle, what it holds, and what the tool could not settle."""

    turtle: str
    edition: str
    source: Source
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    review: list = field(default_factory=list)  # extract.Review items, for the review report


def literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^{term(datatype)}'
    return f'"{escaped}"'


@lru_cache(maxsize=65536)
def term(iri: str) -> str:
    """An IRI as written: prefixed for our vocabulary, relative to the base for our data."""
    for prefix, ns in PREFIXES.items():
        local = iri[len(ns) :]
        if iri.startswith(ns) and local and all(c.isalnum() or c in "-_" for c in local):
            return f"{prefix}:{local}"
    if iri.startswith(BASE_IRI):
        return f"<{iri[len(BASE_IRI) :]}>"
    return f"<{iri}>"


class _Writer:
    """Blocks of Turtle; evidence spans are rendered at the end, when every quote is known, so
    that a repeated quote gets the shortest oa:prefix/oa:suffix that makes it unique."""

    def __init__(self, source: Source, source_iri: str) -> None:
        self.source = source
        self.source_iri = source_iri
        self.blocks: list[str] = []
        self.spans: list[Span] = []

    def evidence(self, span: Span) -> str:
        self.spans.append(span)
        return f"\x00{len(self.spans) - 1}\x00"

    def render(self) -> str:
        text = self.source.text
        occurrences = _occurrences(text, {text[s:e] for s, e in self.spans})
        rendered = [self._span(s, e, occurrences[text[s:e]]) for s, e in self.spans]
        body = "\n\n".join(self.blocks)
        return re.sub("\x00(\\d+)\x00", lambda m: rendered[int(m.group(1))], body)

    def _span(self, start: int, end: int, at: list[int]) -> str:
        text = self.source.text
        quote = [f"oa:exact {literal(text[start:end])}"]
        others = [p for p in at if p != start]
        if others:
            prefix, suffix = _context(text, start, end, others)
            if prefix:
                quote.append(f"oa:prefix {literal(prefix)}")
            if suffix:
                quote.append(f"oa:suffix {literal(suffix)}")
        return (
            "[\n        a pg:SourceSpan ;\n"
            f"        oa:hasSource {term(self.source_iri)} ;\n"
            f"        oa:hasSelector [ a oa:TextQuoteSelector ; {' ; '.join(quote)} ] ,\n"
            "            [ a oa:TextPositionSelector ; "
            f'oa:start "{start}"^^xsd:nonNegativeInteger ; '
            f'oa:end "{end}"^^xsd:nonNegativeInteger ]\n    ]'
        )

    def block(
        self,
        comment: str,
        subject: str,
        types: Iterable[str],
        props: list[tuple[str, list[str]]],
        spans: Iterable[Span] = (),
    ) -> None:
        lines = [f"# {comment}"] if comment else []
        lines.append(f"{term(subject)} a {' , '.join(term(t) for t in types)}")
        body = [(p, v) for p, v in props if v]
        spans = list(dict.fromkeys(s for s in spans if s[1] > s[0]))
        if spans:
            body.append(("pg:evidence", [self.evidence(s) for s in spans]))
        for prop, values in body:
            lines[-1] += " ;"
            lines.append(f"    {prop} {' , '.join(values)}")
        lines[-1] += " ."
        self.blocks.append("\n".join(lines))

    def involvements(
        self, subject: str, links: list[Link], inferred: str | None = None, first: int = 1
    ) -> list[str]:
        """One pg:Involvement block per link, numbered from `first`; returns the subject's
        pg:qualifiedInvolvement values. `inferred` is the comment of an involvement the text
        does not state."""
        iris = []
        for n, link in enumerate(links, start=first):
            iri = f"{subject}/involvement/{n}"
            iris.append(term(iri))
            props = [
                ("pg:institution", [term(link.iri)]),
                ("pg:role", [term(link.role)]),
                ("pg:inferred", ["true" if inferred else "false"]),
                ("rdfs:comment", [inferred] if inferred else []),
            ]
            self.block("", iri, [str(PG.Involvement)], props, [] if inferred else [link.span])
        return iris


def _occurrences(text: str, quotes: set[str]) -> dict[str, list[int]]:
    """Where each quote occurs in the text, found in one regex pass over candidate starts (a
    quote's first characters), not one scan of the text per quote."""
    keys = {q[:12] for q in quotes if q}
    out: dict[str, list[int]] = {q: [] for q in quotes}
    if not keys:
        return out
    by_key: dict[str, list[str]] = {}
    for q in quotes:
        by_key.setdefault(q[:12], []).append(q)
    pattern = re.compile(f"(?=({trie_pattern(keys)}))")
    for m in pattern.finditer(text):
        pos = m.start()
        for quote in by_key.get(m.group(1), ()):
            if text.startswith(quote, pos):
                out[quote].append(pos)
    return out


def _context(text: str, start: int, end: int, others: list[int]) -> tuple[str, str]:
    """The shortest text before (or after) a quote that no other occurrence shares. A quote
    repeated more than CONTEXT_OTHERS times (a text pasted twice, a boilerplate line) gets the
    longest context tried and no search: its oa:TextPositionSelector says which one it is."""
    length = end - start
    if len(others) > CONTEXT_OTHERS:
        return text[max(0, start - CONTEXT_MAX) : start], text[end : end + CONTEXT_MAX]
    for k in range(1, CONTEXT_MAX + 1):
        prefix = text[max(0, start - k) : start]
        if all(text[max(0, p - k) : p] != prefix for p in others):
            return prefix, ""
        suffix = text[end : end + k]
        if all(text[p + length : p + length + k] != suffix for p in others):
            return "", suffix
    return text[max(0, start - CONTEXT_MAX) : start], text[end : end + CONTEXT_MAX]


def label_of(element: Element) -> str | None:
    if element.heading:
        return element.heading
    if element.text is None:
        return None
    text = element.text.raw.strip()
    for stop in "。；;，,":
        if stop in text[:LABEL_MAX]:
            return text[: text.index(stop)]
    return text[:LABEL_MAX] + ("…" if len(text) > LABEL_MAX else "")


def write(
    source: Source,
    structure: Structure,
    facts: Extraction,
    edition_id: str,
    *,
    title: str | None,
    date: str | None,
) -> Draft:
    base = BASE_IRI
    edition = f"{base}edition/{edition_id}"
    source_iri = f"{base}source/{edition_id}-text"
    w = _Writer(source, source_iri)
    iris: dict[int, str] = {}
    for element in structure.elements:
        if element.kind == "preamble":
            iris[id(element)] = f"{edition}/preamble"
        elif element.kind in ("ideology", "layout"):
            iris[id(element)] = f"{edition}/{element.kind}"
        else:
            iris[id(element)] = f"{edition}/{element.kind}/{element.number}"
    layout_iri = f"{edition}/layout"
    counts = {kind: len(structure.of(kind)) for kind in ("principle", "goal", "task")}
    areas = structure.of("area")
    counts["area"] = sum(not a.implicit for a in areas)  # as printed
    counts["implicit_area"] = sum(a.implicit for a in areas)
    counts["safeguard"] = len(structure.of("safeguard"))

    # -- the edition ------------------------------------------------------------------------
    spans: list[Span] = []
    title_text = title
    if title_text is None and facts.title is not None:
        title_text, span = facts.title
        spans.append(span)
    props: list[tuple[str, list[str]]] = []
    if title_text:
        props += [("dcterms:title", [literal(title_text, "zh")])]
        props += [("rdfs:label", [literal(title_text, "zh")])]
    stated: list[Link] = []
    given: list[Link] = []
    if facts.given_issuers:
        given = [Link(str(PG.IssuingRole), i, (0, 0)) for i in facts.given_issuers]
    elif facts.issuer is not None:
        stated.append(Link(str(PG.IssuingRole), facts.issuer.iri, facts.issuer.span))
    if facts.approver is not None:
        stated.append(Link(str(PG.ApprovingRole), facts.approver.iri, facts.approver.span))
    note = (
        literal("发布机构由运行 plangraph ingest 的编辑给出（--issuer），原文未写明。", "zh")
        + " , "
        + literal(
            "The issuer was given by the curator who ran plangraph ingest (--issuer); the text "
            "does not name it.",
            "en",
        )
    )
    involvements = w.involvements(edition, stated)
    involvements += w.involvements(edition, given, inferred=note, first=len(stated) + 1)
    if facts.inferred_issuer is not None:
        iri, basis, _ = facts.inferred_issuer
        why = (
            literal(
                f"发布机构为推断：原文未写明发布机关，标题“{basis}”表明其所属行政区划，"
                "故推定为该地人民政府，请核对。",
                "zh",
            )
            + " , "
            + literal(
                f"Issuer inferred: the text names no issuing body; its title “{basis}” names the "
                "jurisdiction, so the people's government of that place is assumed. Check it.",
                "en",
            )
        )
        link = Link(str(PG.IssuingRole), iri, (0, 0))
        involvements += w.involvements(edition, [link], inferred=why, first=len(involvements) + 1)
    props.append(("pg:qualifiedInvolvement", involvements))
    issue_date = date
    if issue_date is None and facts.issue_date is not None:
        issue_date, span = facts.issue_date
        spans.append(span)
    if issue_date:
        props.append(("pg:issueDate", [literal(issue_date, datatype=str(XSD.date))]))
    if facts.in_force is not None:
        props.append(("pg:inForceDate", [literal(facts.in_force[0], datatype=str(XSD.date))]))
        spans.append(facts.in_force[1])
    comments = []
    if facts.years is not None:
        start, end, span = facts.years
        props.append(("pg:startYear", [literal(str(start), datatype=str(XSD.gYear))]))
        props.append(("pg:endYear", [literal(str(end), datatype=str(XSD.gYear))]))
        spans.append(span)
    elif facts.duration is not None and (issue_date or facts.in_force):
        years, span = facts.duration
        start = int((issue_date or facts.in_force[0])[:4])  # type: ignore[index]
        props.append(("pg:startYear", [literal(str(start), datatype=str(XSD.gYear))]))
        props.append(("pg:endYear", [literal(str(start + years - 1), datatype=str(XSD.gYear))]))
        spans.append(span)
        quote = source.text[span[0] : span[1]]
        comments = [
            literal(
                f"规划期为推断：原文只说“{quote}”，未写起止年份；起始年取印发（或施行）日期所在的"
                f"{start}年，结束年按{years}年计为{start + years - 1}年。",
                "zh",
            ),
            literal(
                f"Plan period inferred: the text says only “{quote}” and names no years; the "
                f"start year is that of the issue (or in-force) date, {start}, and the end year "
                f"counts {years} years from it, {start + years - 1}.",
                "en",
            ),
        ]
    elif (issue_date or facts.in_force) and any(t.deadline for t in facts.targets):
        last = max((t for t in facts.targets if t.deadline), key=lambda t: t.deadline or 0)
        start = int((issue_date or facts.in_force[0])[:4])  # type: ignore[index]
        end = last.deadline or start
        props.append(("pg:startYear", [literal(str(start), datatype=str(XSD.gYear))]))
        props.append(("pg:endYear", [literal(str(end), datatype=str(XSD.gYear))]))
        spans.append(last.span)
        comments = [
            literal(
                f"规划期为推断：原文未写起止年份；起始年取印发（或施行）日期所在的{start}年，"
                f"结束年取目标中最晚的期限{end}年。",
                "zh",
            ),
            literal(
                f"Plan period inferred: the text names no years; the start year is that of the "
                f"issue (or in-force) date, {start}, and the end year the latest deadline of its "
                f"targets, {end}.",
                "en",
            ),
        ]
    if facts.document_number is not None:
        props.append(("pg:documentNumber", [literal(facts.document_number[0])]))
        spans.append(facts.document_number[1])
    documents = list(dict.fromkeys(d[0] for d in facts.basis))
    props.append(("pg:basedOn", [term(d) for d in documents]))
    props.append(("pg:completeness", [literal("partial")]))
    props.append(
        (
            "rdfs:comment",
            [
                *comments,
                literal(
                    "机器抽取的草稿：由 plangraph ingest 从原文自动生成，尚未经人工核对；"
                    "原文未写明的内容（英文标签、所属规划、责任单位等）均未填写，"
                    "请按 SHACL 警告补全。",
                    "zh",
                ),
                literal(
                    "Machine-extracted draft: generated by plangraph ingest from the text and "
                    "not yet reviewed; what the text does not say (English labels, the plan "
                    "series, responsible units and so on) is left out for a curator to "
                    "complete, guided by the SHACL warnings.",
                    "en",
                ),
            ],
        )
    )
    activity = (
        "[\n        a pg:IngestionActivity ;\n"
        f"        pg:toolVersion {literal(__version__)} ;\n"
        f"        pg:inputSha256 {literal(source.sha256)} ;\n"
        f"        prov:used {term(source_iri)}\n    ]"
    )
    props.append(("prov:wasGeneratedBy", [activity]))
    w.block("标题 / the edition (draft)", edition, [str(PG.PlanEdition)], props, spans)

    # -- basis documents ---------------------------------------------------------------------
    for iri, name, span, new in facts.basis:
        # a known document keeps the registry's labels, restated so the draft validates alone
        labels = [(name, "zh")] if new else facts.document_labels.get(iri, [])
        props = [("rdfs:label", [literal(v, lang) for v, lang in labels])]
        w.block("序言 — 依据文件 / basis document", iri, [str(PG.BasisDocument)], props, [span])

    # -- elements in the order of the text -----------------------------------------------------
    targets_of: dict[int, list[Target]] = {}
    for target in facts.targets:
        targets_of.setdefault(id(target.goal), []).append(target)
    institutions: set[str] = set()
    theme_links = 0
    for element in structure.elements:
        subject = iris[id(element)]
        cls = _class(element.kind)
        props = [("pg:inEdition", [term(edition)])]
        if element.area is not None:
            props.append(("pg:inTaskArea", [term(iris[id(element.area)])]))
        if element.number is not None and element.kind not in ("ideology", "layout"):
            props.append(
                ("pg:number", [literal(str(element.number), datatype=str(XSD.positiveInteger))])
            )
        if element.printed:
            props.append(("pg:printedNumber", [literal(element.printed)]))
        if element.heading:
            props.append(("pg:heading", [literal(element.heading, "zh")]))
        label = label_of(element) if element.kind != "preamble" else "序言"
        if element.implicit:
            label = "全部任务（原文未分组）"
            props.append(
                (
                    "rdfs:comment",
                    [
                        literal(
                            "原文未把任务分组；此任务方面由 plangraph ingest 设立，涵盖全部任务。",
                            "zh",
                        ),
                        literal(
                            "The text does not group its tasks; plangraph ingest made this one "
                            "task area to hold them all.",
                            "en",
                        ),
                    ],
                )
            )
        if element.kind == "layout" and facts.layout is not None:
            label = facts.layout.label
        if label:
            props.append(("rdfs:label", [literal(label, "zh")]))
        if element.text is not None:
            props.append(("pg:text", [literal(element.text.raw.strip(), "zh")]))
        themes = facts.themes.get(id(element), [])
        theme_links += len(themes)
        props.append(("pg:theme", [term(t) for t in themes]))
        places = facts.places.get(id(element), [])
        props.append(("pg:concernsPlace", [term(p.iri) for p in places]))
        links = facts.links.get(id(element), [])
        institutions.update(link.iri for link in links)
        props.append(("pg:qualifiedInvolvement", w.involvements(subject, links)))
        spans = [element.evidence] + [p.span for p in places]
        if element.kind == "layout" and facts.layout is not None:
            spans.append(facts.layout.span)
        w.block(element.path, subject, [cls], props, spans)
        for target in targets_of.get(id(element), []):
            _target(w, edition, subject, target, element.path)
        if facts.layout is not None and facts.layout.element is element:
            if element.kind != "layout":
                _layout(w, edition, layout_iri, facts.layout, element.path)
            _zones(w, edition_id, layout_iri, facts.layout, element.path)

    # -- institutions the registry lacks, found by their form ---------------------------------
    for new in facts.new_institutions.values():
        labels = [literal(new.label, "zh"), literal(pinyin_label(new.label), "en")]
        props = [("rdfs:label", labels)]
        if new.written and new.written != new.label:
            props.append(("skos:altLabel", [literal(new.written, "zh")]))
        if new.parent:
            props.append(("pg:subOrganizationOf", [term(new.parent)]))
        comments = [literal(MACHINE_EN[0], "zh"), literal(MACHINE_EN[1], "en")]
        if new.comment:
            comments = [literal(new.comment[0], "zh"), literal(new.comment[1], "en"), *comments]
        props.append(("rdfs:comment", comments))
        w.block(
            "新机构（草稿）/ institution not in the registry", new.iri, new.types, props, [new.span]
        )

    # -- places the registry lacks, listed in the layout ------------------------------------
    for place in facts.new_places.values():
        labels = [literal(place.label, "zh"), literal(pinyin_label(place.label), "en")]
        props = [
            ("rdfs:label", labels),
            ("rdfs:comment", [literal(MACHINE_EN[0], "zh"), literal(MACHINE_EN[1], "en")]),
        ]
        w.block(
            "新地点（草稿）/ place not in the registry", place.iri, [place.cls], props, [place.span]
        )

    # -- the source document ------------------------------------------------------------------
    w.block(
        "来源文件 / the text this draft was read from",
        source_iri,
        [str(PG.SourceDocument)],
        [
            ("pg:sha256", [literal(source.sha256)]),
            ("dcterms:language", [literal("zh")]),
            (
                "rdfs:comment",
                [
                    literal(
                        f"读取编码：{source.encoding}；oa:start/oa:end 为按该编码解码后"
                        "文本的码位偏移（从 0 起，不含结束位置，换行符按原样计数）。",
                        "zh",
                    ),
                    literal(
                        f"Read as {source.encoding}; oa:start/oa:end are 0-based code-point "
                        "offsets into the text so decoded (end exclusive, line breaks counted "
                        "as they are).",
                        "en",
                    ),
                ],
            ),
        ],
    )

    counts["target"] = len(facts.targets)
    counts["institution"] = len(institutions)
    counts["new_institution"] = len(facts.new_institutions)
    counts["basis_document"] = len(documents)
    counts["zone"] = len(facts.layout.zones) if facts.layout else 0
    counts["theme_link"] = theme_links
    header = [
        f"# Draft edition {edition_id}, machine-extracted by plangraph ingest {__version__}.",
        f"# Source: {source.name} (sha256 {source.sha256}, read as {source.encoding}).",
        "# Every pg:evidence span satisfies text[oa:start:oa:end] == oa:exact (code points).",
        f"# Loaded into the named graph <{edition}>. Review before committing to graph/.",
        "",
        f"@base <{BASE_IRI}> .",
        *(f"@prefix {p}: <{ns}> ." for p, ns in PREFIXES.items()),
    ]
    turtle = "\n".join(header) + "\n\n" + w.render() + "\n"
    warnings = list(structure.warnings) + facts.warnings
    return Draft(turtle, edition, source, counts, warnings, facts.review)


def _class(kind: str) -> str:
    from plangraph.ingest.structure import PART_CLASSES

    return str(PART_CLASSES[kind])


def _decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _target(w: _Writer, edition: str, goal: str, target: Target, path: str) -> None:
    props = [
        ("pg:inEdition", [term(edition)]),
        ("pg:ofGoal", [term(goal)]),
        ("pg:number", [literal(str(target.number), datatype=str(XSD.positiveInteger))]),
        ("rdfs:label", [literal(target.text, "zh")]),
        ("pg:text", [literal(target.text, "zh")]),
        ("pg:value", [literal(_decimal(target.value), datatype=str(XSD.decimal))]),
        ("pg:unit", [term(target.unit)]),
        ("pg:comparator", [term(target.comparator)]),
        ("pg:basis", [term(target.basis)] if target.basis else []),
        (
            "pg:deadline",
            [literal(str(target.deadline), datatype=str(XSD.gYear))] if target.deadline else [],
        ),
        ("pg:measures", [term(m) for m in target.measures]),
    ]
    w.block(
        f"{path} — 量化指标 {target.number}",
        f"{goal}/target/{target.number}",
        [str(PG.Target)],
        props,
        [target.span],
    )


def _layout(w: _Writer, edition: str, iri: str, layout: Layout, path: str) -> None:
    props = [
        ("pg:inEdition", [term(edition)]),
        ("rdfs:label", [literal(layout.label, "zh")]),
    ]
    w.block(f"{path} — 空间布局 {layout.label}", iri, [str(PG.SpatialLayout)], props, [layout.span])


def _zones(w: _Writer, edition_id: str, layout_iri: str, layout: Layout, path: str) -> None:
    seen: dict[str, int] = {}
    for zone in layout.zones:
        role = zone.role.rstrip("/").rsplit("/", 1)[-1].lower()
        seen[role] = seen.get(role, 0) + 1
        zone.iri = f"{BASE_IRI}zone/draft-{edition_id}-{role}-{seen[role]}"
        props = [
            ("pg:zoneRole", [term(zone.role)]),
            ("pg:inLayout", [term(layout_iri)]),
            ("rdfs:label", [literal(zone.label, "zh")]),
            ("pg:hasPlace", [term(p.iri) for p in zone.places]),
            ("pg:function", [literal(zone.function, "zh")] if zone.function else []),
        ]
        spans = [zone.span] + [p.span for p in zone.places]
        w.block(f"{path} — {zone.label}", zone.iri, [str(PG.Zone)], props, spans)
