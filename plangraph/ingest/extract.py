"""Facts inside the elements: targets, institutions, responsibility tags, layouts, themes, basis.

Every fact keeps the source span it was read from. The patterns here are parsing rules (how a
number, a tag or a list is written); the words they look for come from the gazetteer, i.e. RDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from plangraph.config import BASE_IRI
from plangraph.ingest.discover import (
    Body,
    Finder,
    Jurisdiction,
    draft_slug,
    jurisdiction_of,
    list_places,
)
from plangraph.ingest.gazetteer import Gazetteer, Match, document_key, name_key
from plangraph.ingest.reading import Source
from plangraph.ingest.structure import (
    DATE_LINE,
    DOC_NUMBER,
    Element,
    Stretch,
    Structure,
    cn_number,
)
from plangraph.namespace import PG

Span = tuple[int, int]

NUMBER = re.compile(r"(?<![\d.×xX*+/])(\d+(?:\.\d+)?)[ \t]*(万|亿|千|百)?[ \t]*")
MULTIPLIERS = {"万": 10_000, "亿": 100_000_000, "千": 1_000, "百": 100}
CLAUSE_BREAKS = re.compile(r"[。;,:!?\n]")
SENTENCE_BREAKS = re.compile(r"[。!?\n]")
DEADLINE = re.compile(r"(?:到|至|截至)[ \t]*(\d{4})[ \t]*年|(\d{4})[ \t]*年(?:底|末)?(?:前|以前)")
BASIS_VERBS = re.compile(
    r"(?:贯彻落实|贯彻|落实|根据|按照|依据)[ \t]*((?:《[^》\n]{2,80}》[、和及与,]?)+)"
)
TITLE_YEARS = re.compile(r"(\d{4})[ \t]*年?[ \t]*[-—–~至到][ \t]*(\d{4})[ \t]*年")
DURATION = re.compile(
    r"用[ \t]*([\d一二两三四五六七八九十]+)[ \t]*年(?:左右)?(?:的)?时间"
    r"|有效期(?:为|至)?[ \t]*([\d一二两三四五六七八九十]+)[ \t]*年"
)
IN_FORCE = re.compile(r"自(\d{4})年(\d{1,2})月(\d{1,2})日起(?:施行|实施)")
TAG_VALUE_END = re.compile(r"[;。)\]\n]")
TAG_SPLIT = re.compile(r"[、,/]|[ \t]+")  # not 和: 经济和信息化局 is one name
UNTYPED = (
    "类型为推定：原文在责任分工中列出该单位，但其名称未显示机构类型，暂按政府部门处理，请核对。",
    "Type assumed: the text lists this unit in a responsibility tag, but its name does not show "
    "its type; it is typed as a government body until a curator checks it.",
)


@dataclass
class Mention:
    """Something the text names, with where."""

    iri: str
    span: Span
    quote: str


@dataclass
class Link:
    """An element's stated involvement of an institution: its role concept and the span."""

    role: str
    iri: str
    span: Span


@dataclass
class Target:
    goal: Element
    number: int
    value: Decimal
    unit: str
    comparator: str
    basis: str | None
    deadline: int | None
    measures: list[str]
    text: str
    span: Span


@dataclass
class NewInstitution:
    iri: str
    label: str  # the full name, a relative one resolved (市金融局 → 北京市金融局)
    types: list[str]
    span: Span
    parent: str | None = None  # pg:subOrganizationOf, for the units of a known body
    comment: tuple[str, str] | None = None
    written: str = ""  # as the text writes it, when it differs from the label


@dataclass
class NewPlace:
    iri: str
    label: str
    cls: str
    span: Span


@dataclass
class Review:
    """One thing a curator must look at, with where the text says it."""

    kind: str  # new institution, new place, resolved, collective, role from a verb, …
    text: str
    span: Span
    why: str
    element: Element | None = None
    iri: str | None = None


@dataclass
class Zone:
    role: str  # class IRI
    places: list[Mention]
    label: str
    function: str | None
    span: Span
    iri: str = ""


@dataclass
class Layout:
    label: str
    span: Span
    element: Element
    zones: list[Zone] = field(default_factory=list)


@dataclass
class Extraction:
    title: tuple[str, Span] | None = None
    document_number: tuple[str, Span] | None = None
    issue_date: tuple[str, Span] | None = None
    in_force: tuple[str, Span] | None = None
    issuer: Mention | None = None
    given_issuers: list[str] = field(default_factory=list)  # given by the caller (--issuer)
    inferred_issuer: tuple[str, str, Span] | None = None  # IRI, the title it rests on, its span
    issuer_name: tuple[str, Span, int] | None = None  # a head line naming a body by its form
    approver: Mention | None = None
    addressees: tuple[str, Span] | None = None
    years: tuple[int, int, Span] | None = None
    duration: tuple[int, Span] | None = None  # 力争用5年时间: the plan's length, no years given
    document_labels: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    basis: list[tuple[str, str, Span, bool]] = field(default_factory=list)  # iri, title, span, new
    themes: dict[int, list[str]] = field(default_factory=dict)  # id(element) → themes
    places: dict[int, list[Mention]] = field(default_factory=dict)  # places an element concerns
    links: dict[int, list[Link]] = field(default_factory=dict)
    new_institutions: dict[str, NewInstitution] = field(default_factory=dict)
    new_places: dict[str, NewPlace] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    layout: Layout | None = None
    warnings: list[str] = field(default_factory=list)
    review: list[Review] = field(default_factory=list)
    parent_types: dict[str, set[str]] = field(default_factory=dict)
    jurisdiction: Jurisdiction = field(default_factory=Jurisdiction)


def extract(
    source: Source,
    structure: Structure,
    gaz: Gazetteer,
    base: str,
    issuers: list[str] | None = None,
    issuer_names: list[str] | None = None,
) -> Extraction:
    """Every fact of a parsed text. The issuers the caller gives (registry IRIs, or names)
    fix the plan's jurisdiction; without them it is read from the issuing body the text names,
    or its title, and the issuer is inferred from it."""
    out = Extraction(document_labels=gaz.document_labels, parent_types=gaz.institution_types)
    _head(source, structure, gaz, out)
    names = [name_key(n) for n in issuer_names or []]
    out.jurisdiction = _jurisdiction(structure, gaz, issuers or [], out, names)
    finder = Finder(gaz, out.jurisdiction)
    out.given_issuers = list(issuers or [])
    for name in names:
        body = finder.tagged(name)
        body.why = "the issuer the curator named (--issuer)"
        iri = _register(body, Stretch([]), base, out, None, str(PG.IssuingRole))
        if iri is not None:
            out.given_issuers.append(iri)
    _notice(structure, gaz, base, out, finder)
    if not out.given_issuers and out.issuer is None:
        _infer_issuer(structure, base, out, finder)
    for element in structure.of("preamble")[:1]:
        _basis(element, gaz, base, out)
    for element in structure.elements:
        if element.kind in {"principle", "goal", "area", "task", "safeguard", "layout"}:
            out.themes[id(element)] = _themes(element, gaz)
            out.places[id(element)] = _concerned(element, gaz)
        if element.kind in {"goal", "task", "safeguard"}:
            out.links[id(element)] = _institutions(element, gaz, base, out, finder)
        if element.kind == "goal":
            out.targets.extend(_targets(element, gaz))
    _layout(structure, gaz, out)
    _unsettled(structure, out)
    return out


HEADING_ALONE = 20  # a short line without a full stop is a heading, not unread content
AMOUNT = re.compile(r"(?:最高|不超过|最多|up to)?[ \t]*(\d+(?:\.\d+)?)[ \t]*(万|亿)?元")


def _unsettled(structure: Structure, out: Extraction) -> None:
    """What the draft leaves for a curator: paragraphs no element holds, money amounts the
    model has no unit for, targets read without a comparator cue, bodies typed by assumption."""
    covered = sorted(e.evidence for e in structure.elements)
    head_tail = set(structure.head) | set(structure.tail)
    for index, para in enumerate(structure.paras):
        if index in head_tail or (structure.title and para is structure.title.parts[0][0]):
            continue
        start, end = para.start, para.end
        heading = "。" not in para.norm and len(para.norm) <= HEADING_ALONE
        if not heading and not any(lo <= start and end <= hi for lo, hi in covered):
            out.review.append(Review("unparsed", para.raw, (start, end), "in no element"))
    for element in structure.elements:
        if element.kind in ("task", "safeguard", "goal") and element.full is not None:
            for m in AMOUNT.finditer(element.full.norm):
                span = element.full.span(*m.span())
                why = "a money amount: the model has no currency unit, so no target was made"
                out.review.append(
                    Review("amount", element.full.raw[slice(*m.span())], span, why, element)
                )
    for target in out.targets:
        if target.comparator == str(PG.Exactly):
            why = "no comparator cue: read as exactly the number"
            out.review.append(Review("low confidence", target.text, target.span, why, target.goal))
    for new in out.new_institutions.values():
        if new.comment is UNTYPED:
            why = "type assumed (government body): the name does not show the type"
            out.review.append(
                Review("low confidence", new.written or new.label, new.span, why, None, new.iri)
            )


# -- edition facts from the covering notice, title and closing clause ---------------------


def _names_of(iri: str, gaz: Gazetteer) -> list[str]:
    return [name for name, value in gaz.institutions.items() if value == iri]


def _jurisdiction(
    structure: Structure,
    gaz: Gazetteer,
    issuers: list[str],
    out: Extraction,
    given: list[str],
) -> Jurisdiction:
    """The plan's city and district: from the issuers' names, the issuing body in the head,
    or a jurisdiction the title starts with (北京加快推进… → 北京市)."""
    names = [n for iri in issuers for n in _names_of(iri, gaz)] + given
    if not names and out.issuer is not None:
        names = [name_key(out.issuer.quote), *_names_of(out.issuer.iri, gaz)]
    if not names and out.issuer_name is not None:
        names = [out.issuer_name[0]]
    found = jurisdiction_of(names, gaz) if names else Jurisdiction()
    if found.city is None and found.district is None and structure.title is not None:
        title = structure.title.norm.strip()
        district = re.match(r"([\u4e00-\u9fff]{2,4}?市)?([\u4e00-\u9fff]{1,4}?区)", title)
        for size in range(min(8, len(title)), 1, -1):
            head = title[:size]
            if head in gaz.jurisdictions or re.fullmatch(r"[\u4e00-\u9fff]{2,4}市", head):
                city = head if head.endswith("市") else head + "市"
                return Jurisdiction(city, district.group(2) if district else None, True)
        if district and district.group(1):
            return Jurisdiction(district.group(1), district.group(2), True)
    return found


def _infer_issuer(structure: Structure, base: str, out: Extraction, finder: Finder) -> None:
    """No issuer given or named: the people's government of the jurisdiction the title names
    (北京市朝阳区… → 朝阳区人民政府), as an inference the draft says it is."""
    jur = out.jurisdiction
    if not jur.from_title or structure.title is None:
        return
    place = jur.district or jur.city
    if place is None:
        return
    name = f"{jur.city or ''}{jur.district or ''}人民政府" if jur.district else f"{place}人民政府"
    body = finder.tagged(name)
    body.why = "issuer inferred from the jurisdiction the title names"
    iri = _register(body, structure.title, base, out, None, str(PG.IssuingRole), span=False)
    if iri is not None:
        out.inferred_issuer = (iri, structure.title.raw.strip(), structure.title.whole)


APPROVAL = re.compile(r"经([\u4e00-\u9fff]{2,20}?)(?:同意|批准)")
ADDRESSEES = re.compile(r"^[^。]{4,200}[:：]$")


def _notice(
    structure: Structure, gaz: Gazetteer, base: str, out: Extraction, finder: Finder
) -> None:
    """The covering notice (通知): its issuing body, the body whose approval it cites
    (经市政府同意), and its addressees, each with its span."""
    for index in structure.head:
        para = structure.paras[index]
        stretch = Stretch([(para, 0, len(para.raw))])
        norm = para.norm
        if out.issuer is None and out.issuer_name is not None and index == out.issuer_name[2]:
            body = finder.tagged(out.issuer_name[0])
            body.start, body.end = 0, len(norm)
            body.why = "the issuing body the covering notice names"
            iri = _register(body, stretch, base, out, None, str(PG.IssuingRole))
            if iri is not None:
                out.issuer = Mention(iri, stretch.whole, para.raw)
        approval = APPROVAL.search(norm)
        if approval and out.approver is None:
            body = finder.tagged(approval.group(1))
            body.start, body.end = approval.span(1)
            body.why = "the body whose approval the notice cites"
            iri = _register(body, stretch, base, out, None, str(PG.ApprovingRole))
            if iri is not None:
                out.approver = Mention(iri, stretch.span(*approval.span()), para.raw)
        if ADDRESSEES.match(norm) and out.addressees is None:
            out.addressees = (para.raw.rstrip(":："), stretch.whole)
            out.review.append(
                Review("addressees", para.raw, stretch.whole, "the notice's addressees")
            )


def _head(source: Source, structure: Structure, gaz: Gazetteer, out: Extraction) -> None:
    if structure.title is not None:
        out.title = (structure.title.raw.strip(), structure.title.whole)
        years = TITLE_YEARS.search(structure.title.norm)
        if years:
            out.years = (
                int(years.group(1)),
                int(years.group(2)),
                structure.title.span(*years.span()),
            )
    for index in structure.head:
        para = structure.paras[index]
        stretch = Stretch([(para, 0, len(para.raw))])
        number = DOC_NUMBER.search(para.norm)
        if number and out.document_number is None:
            out.document_number = (para.raw[slice(*number.span())], stretch.span(*number.span()))
        date = DATE_LINE.fullmatch(para.norm.strip())
        if date:
            y, m, d = (int(g) for g in date.groups())
            out.issue_date = (f"{y:04d}-{m:02d}-{d:02d}", stretch.whole)
        key = name_key(para.norm)
        iri = gaz.institutions.get(key)
        if iri is not None:
            out.issuer = Mention(iri, stretch.whole, para.raw)
        elif _issuing_body(key, gaz):
            out.issuer_name = (key, stretch.whole, index)
    for para in structure.paras:
        found = DURATION.search(para.norm)
        years = cn_number(found.group(1) or found.group(2)) if found else None
        if found and years:
            out.duration = (years, Stretch([(para, 0, len(para.raw))]).span(*found.span()))
            break
    for index in structure.tail:
        para = structure.paras[index]
        found = IN_FORCE.search(para.norm)
        if found and out.in_force is None:
            y, m, d = (int(g) for g in found.groups())
            span = Stretch([(para, 0, len(para.raw))]).span(*found.span())
            out.in_force = (f"{y:04d}-{m:02d}-{d:02d}", span)


def _issuing_body(line: str, gaz: Gazetteer) -> bool:
    """A head line that is a government body's name and nothing else (上海市人民政府办公厅)."""
    if not re.fullmatch(r"[\u4e00-\u9fff]{4,30}", line):
        return False
    return any(
        line.endswith(ending) and len(line) > len(ending) + 1
        for ending, cls in gaz.type_endings.items()
        if cls == str(PG.GovernmentBody)
    )


def _basis(preamble: Element, gaz: Gazetteer, base: str, out: Extraction) -> None:
    """《…》 after 贯彻落实 / 根据 / 按照 in the preamble: the documents the plan rests on."""
    text = preamble.text
    if text is None:
        return
    for run in BASIS_VERBS.finditer(text.norm):
        for title in re.finditer(r"《([^》\n]+)》", run.group(1)):
            lo = run.start(1) + title.start()
            hi = run.start(1) + title.end()
            name = text.raw[lo + 1 : hi - 1]
            iri = gaz.documents.get(document_key(name))
            new = iri is None
            if new:
                iri = base + draft_slug("document", document_key(name))
            out.basis.append((iri, name, text.span(lo, hi), new))


# -- themes -------------------------------------------------------------------------------


def _themes(element: Element, gaz: Gazetteer) -> list[str]:
    if element.full is None:
        return []
    found: list[str] = []
    for matcher in (gaz.matcher("themes"), gaz.matcher("themes_en")):
        for m in matcher.find(element.full.norm):
            if m.value not in found:
                found.append(m.value)
    return found


def _concerned(element: Element, gaz: Gazetteer) -> list[Mention]:
    """The registry's places an element's text names, each at its first mention."""
    full = element.full
    if full is None:
        return []
    seen: dict[str, Mention] = {}
    for m in gaz.matcher("places").find(full.norm):
        if m.value not in seen:
            seen[m.value] = Mention(m.value, full.span(m.start, m.end), full.raw[m.start : m.end])
    return list(seen.values())


# -- institutions -------------------------------------------------------------------------


def _title_ranges(norm: str) -> list[Span]:
    return [m.span() for m in re.finditer(r"《[^》\n]*》", norm)]


def _inside(span: Span, ranges: list[Span]) -> bool:
    return any(lo <= span[0] and span[1] <= hi for lo, hi in ranges)


def _institutions(
    element: Element, gaz: Gazetteer, base: str, out: Extraction, finder: Finder
) -> list[Link]:
    """Responsibility tags, registry names, and bodies the registry lacks found by their form."""
    full = element.full
    if full is None:
        return []
    norm = full.norm
    titles = _title_ranges(norm)
    links: list[Link] = []
    tagged: list[Span] = []

    def add(role: str, iri: str | None, at: Span) -> None:
        if iri is not None and not any(k.role == role and k.iri == iri for k in links):
            links.append(Link(role, iri, full.span(*at)))

    for word, value in _tags(norm, gaz):
        prop = gaz.role_words.get(word)
        if prop is None:
            out.warnings.append(
                f"responsibility word {word!r} is not in the lexicon, so its units are linked "
                "by pg:namesInstitution / 责任词不在词表中"
            )
            prop = str(PG.NamedRole)
        tagged.append(value)
        pos = value[0]
        for name in TAG_SPLIT.split(norm[value[0] : value[1]]):
            start = norm.find(name, pos) if name.strip() else -1
            if len(name.strip()) < 2 or start < 0:
                continue
            pos = start + len(name)
            body = finder.tagged(name.strip())
            body.start, body.end = start, pos
            add(prop, _register(body, full, base, out, element, prop), (start, pos))
    known: dict[Span, str] = {}
    for m in gaz.matcher("institutions").find(norm):
        if not (_inside((m.start, m.end), titles) or _inside((m.start, m.end), tagged)):
            known[(m.start, m.end)] = m.value
    bodies = finder.find(norm, titles + tagged + list(known), known)
    units = {b.start for b in bodies if b.parent is not None}
    found = [(span, str(PG.NamedRole), iri, None) for span, iri in known.items()]
    found = [f for f in found if f[0][0] not in units]
    found += [((b.start, b.end), b.role or str(PG.NamedRole), None, b) for b in bodies]
    for at, role, iri, body in sorted(found, key=lambda f: f[0]):
        add(role, iri if body is None else _register(body, full, base, out, element, role), at)
    named = str(PG.NamedRole)
    return [k for k in links if not (k.role == named and _stated(links, k.iri))]


def _tags(norm: str, gaz: Gazetteer) -> list[tuple[str, Span]]:
    """`牵头单位：A；配合单位：B、C`: each role word (from the lexicon, or any …单位) and the
    span of the units it lists, up to the next tag or the end of the clause."""
    if ":" not in norm:
        return []
    words = gaz.pattern("role_words").pattern
    pattern = re.compile(rf"({words}|[\u4e00-\u9fff]{{2}}单位)[ \t]*:[ \t]*")
    tags = list(pattern.finditer(norm))
    out = []
    for k, tag in enumerate(tags):
        end = tags[k + 1].start() if k + 1 < len(tags) else len(norm)
        stop = TAG_VALUE_END.search(norm, tag.end(), end)
        out.append((tag.group(1), (tag.end(), stop.start() if stop else end)))
    return out


def _stated(links: list[Link], iri: str) -> bool:
    return any(k.iri == iri and k.role != str(PG.NamedRole) for k in links)


def _register(
    body: Body,
    full: Stretch,
    base: str,
    out: Extraction,
    element: Element | None,
    role: str,
    span: bool = True,
) -> str | None:
    """The IRI of a body: the registry's, or a draft one minted and listed for review.
    A collective actor (各区政府) is listed for review and linked to nothing. With `span`
    false (or an empty stretch) the body's name is not a quote of the text."""
    quoted = span and bool(full.parts)
    where = full.span(body.start, body.end) if quoted else (0, 0)
    raw = full.raw[body.start : body.end] if quoted else body.name
    if body.collective:
        out.review.append(
            Review("collective", raw, where, "a group of bodies, not linked", element)
        )
        return None
    if body.iri is not None:
        if body.full != body.name:
            why = f"{raw} read as {body.full} (the plan's own jurisdiction)"
            out.review.append(Review("resolved", raw, where, why, element))
        return body.iri
    types = [body.cls] if body.cls else [str(PG.GovernmentBody)]
    comment = None if body.cls else UNTYPED
    if body.parent is not None and str(PG.CentralBank) in out.parent_types.get(body.parent, set()):
        types = [str(PG.CentralBankUnit)] + [t for t in types if t != str(PG.CentralBankUnit)]
    iri = base + draft_slug("institution", body.full)
    if iri not in out.new_institutions:
        out.new_institutions[iri] = NewInstitution(
            iri, body.full, types, where, parent=body.parent, comment=comment, written=raw
        )
        why = body.why or "responsibility tag"
        out.review.append(Review("new institution", raw, where, why, element, iri))
    if role != str(PG.NamedRole) and body.role == role:
        out.review.append(
            Review("role from a verb", raw, where, f"role {role.rsplit('#', 1)[-1]}", element, iri)
        )
    return iri


# -- targets ------------------------------------------------------------------------------


def _cue_before(text: str, cues: dict[str, str]) -> tuple[str, int] | None:
    stripped = text.rstrip(" \t")
    for cue in sorted(cues, key=len, reverse=True):
        if stripped.endswith(cue):
            return cues[cue], len(text) - len(stripped) + len(cue)
    return None


def _cue_after(text: str, cues: dict[str, str]) -> tuple[str, int] | None:
    stripped = text.lstrip(" \t")
    for cue in sorted(cues, key=len, reverse=True):
        if stripped.startswith(cue):
            return cues[cue], len(text) - len(stripped) + len(cue)
    return None


def _targets(goal: Element, gaz: Gazetteer) -> list[Target]:
    """Quantities with a unit in a goal's text, with comparator, basis and deadline cues."""
    text = goal.text
    if text is None:
        return []
    norm = text.norm
    unit_re = gaz.pattern("units") if gaz.units else None
    found: list[tuple[int, int, Decimal, str, str]] = []  # start, end, value, unit, comparator
    for m in NUMBER.finditer(norm):
        if unit_re is None:
            break
        after = norm[m.end() :]
        u = unit_re.match(after)
        if u is None or after[u.end() : u.end() + 1] in ("×", "+", "月"):
            continue
        value = Decimal(m.group(1)) * MULTIPLIERS.get(m.group(2) or "", 1)
        start, end = m.start(), m.end() + u.end()
        before = _cue_before(norm[max(0, start - 8) : start], gaz.comparators)
        behind = _cue_after(norm[end : end + 6], gaz.comparators)
        comparator = str(PG.Exactly)
        if before:
            comparator, width = before
            start -= width
        elif behind:
            comparator, width = behind
            end += width
        found.append((start, end, value, gaz.units[u.group()], comparator))
    targets = []
    for k, (start, end, value, unit, comparator) in enumerate(found):
        clause_lo = max((b.end() for b in CLAUSE_BREAKS.finditer(norm, 0, start)), default=0)
        brk = CLAUSE_BREAKS.search(norm, end)
        clause_hi = brk.start() if brk else len(norm)
        lo = max(clause_lo, found[k - 1][1] if k and found[k - 1][1] > clause_lo else clause_lo)
        hi = min(clause_hi, found[k + 1][0] if k + 1 < len(found) else clause_hi)
        while lo < start and norm[lo] in "、和及与 \t":
            lo += 1
        while hi > end and norm[hi - 1] in "、和及与 \t":
            hi -= 1
        clause = norm[clause_lo:clause_hi]
        basis = _basis_of(clause, start - clause_lo, unit, gaz)
        deadline = None
        for d in DEADLINE.finditer(norm, 0, end):
            deadline = int(d.group(1) or d.group(2))
        measures = []
        for m in gaz.matcher("measures").find(norm[lo:hi]):
            if m.value not in measures:
                measures.append(m.value)
        targets.append(
            Target(
                goal,
                len(targets) + 1,
                value,
                unit,
                comparator,
                basis,
                deadline,
                measures,
                text.raw[lo:hi],
                text.span(lo, hi),
            )
        )
    return targets


def _basis_of(clause: str, at: int, unit: str, gaz: Gazetteer) -> str | None:
    """The counting basis cue nearest the number in its clause; without one, the ontology's
    reading for counts (cumulative, pg:Cumulative's definition) and none for a percentage."""
    best = None
    for cue, basis in gaz.bases.items():
        for m in re.finditer(re.escape(cue), clause):
            rank = (-len(cue), abs(m.start() - at))
            if best is None or rank < best[0]:
                best = (rank, basis)
    percent = unit.endswith("/percent")
    if best is not None:
        basis = best[1]
        if percent or basis in (str(PG.PerYear), str(PG.Cumulative)):
            return basis
    return None if percent else str(PG.Cumulative)


# -- spatial layout -----------------------------------------------------------------------


NUMERALS = "[一二两三四五六七八九十多双]"


def _layout(structure: Structure, gaz: Gazetteer, out: Extraction) -> None:
    """A layout phrase (一核多点, 两城、一带、一港) and, for each of its parts, the places the
    text lists for it: by a role word in the clause, or in the order the phrase names them."""
    roles = {w: c for w, c in gaz.zone_roles.items() if w in gaz.zone_role_words}
    if not roles:
        return
    words = "|".join(re.escape(w) for w in sorted(roles, key=len, reverse=True))
    phrase = re.compile(rf"(?:{NUMERALS}(?:{words})[、,]?){{2,}}")
    order = [e for e in structure.elements if e.kind == "layout"] + [
        e for e in structure.elements if e.kind != "layout"
    ]
    for element in order:
        text = element.full
        if text is None:
            continue
        m = phrase.search(text.norm)
        if m is None:
            continue
        label = text.raw[m.start() : m.end()].rstrip("、,，")
        parts = [(p[0], roles[p[1]], p) for p in re.findall(rf"({NUMERALS})({words})", m.group())]
        layout = Layout(label, text.span(m.start(), m.start() + len(label)), element)
        layout.zones = _zones(text, m.end(), parts, gaz, out)
        if out.layout is None or (layout.zones and not out.layout.zones):
            out.layout = layout  # the first mention, unless a later one lists the places
        if layout.zones:
            return


def _zones(
    text: Stretch,
    after: int,
    parts: list[tuple[str, str, tuple[str, str]]],
    gaz: Gazetteer,
    out: Extraction,
) -> list[Zone]:
    norm = text.norm
    tokens = {"".join(p[2]): p[1] for p in parts}
    wanted = {p[1] for p in parts}
    cue_words = {w: c for w, c in gaz.zone_roles.items() if len(w) > 1 and c in wanted} | tokens
    cue_re = re.compile("|".join(re.escape(w) for w in sorted(cue_words, key=len, reverse=True)))
    numeral = {p[1]: p[0] for p in parts}
    assigned: list[str] = []
    zones: list[Zone] = []
    # When the text takes the parts up one by one (“两城”，是指…), a clause needs its part's word;
    # otherwise (一核多点: 核心…，辐射…) unnamed lists of places follow the phrase's order.
    by_order = not any(token in norm[after:] for token in tokens)
    start_of_sentence = max((b.end() for b in SENTENCE_BREAKS.finditer(norm, 0, after)), default=0)
    for sentence in _pieces(norm, start_of_sentence, SENTENCE_BREAKS):
        carried = None
        lo_s, hi_s = sentence
        for lo, hi in _pieces(norm[:hi_s], lo_s, CLAUSE_BREAKS):
            clause = norm[lo:hi]
            places = _places(clause, text, lo, gaz, out, cue_re.search(clause) is not None)
            masked = list(clause)
            for p in places:
                masked[p.start : p.end] = "□" * (p.end - p.start)
            cues = [cue_words[c.group()] for c in cue_re.finditer("".join(masked))]
            if not places:
                if len(set(cues)) == 1:
                    carried = cues[0]
                continue
            role = cues[0] if cues else carried
            if role is None and by_order:
                role = next((p[1] for p in parts if p[1] not in assigned), None)
            if role is None or role in assigned:
                if len(assigned) == len(parts):
                    return zones
                continue
            assigned.append(role)
            carried = None
            mentions = [
                Mention(
                    p.value,
                    text.span(lo + p.start, lo + p.end),
                    text.raw[lo + p.start : lo + p.end],
                )
                for p in places
            ]
            span = text.span(lo_s, hi_s)
            functions = _functions(norm[lo_s:hi_s], role, gaz)
            if numeral[role] == "一" or len(mentions) == 1:
                groups = [mentions]
            else:
                groups = [[m] for m in mentions]
            for k, group in enumerate(groups):
                function = functions[k] if len(functions) == len(groups) else None
                names = "、".join(g.quote for g in group)
                label = function or f"{_token(parts, role)}：{names}"
                zones.append(Zone(role, group, label, function, span))
        if len(assigned) == len(parts):
            break
    return zones


def _places(
    clause: str, text: Stretch, lo: int, gaz: Gazetteer, out: Extraction, in_layout: bool
) -> list[Match]:
    """The registry's places in a clause, and the places it lists that the registry lacks,
    minted with draft IRIs and listed for review."""
    known = gaz.matcher("places").find(clause)
    found = list(known)
    for a, b in list_places(clause, [(m.start, m.end) for m in known], gaz, in_layout):
        name = clause[a:b]
        role_token = re.fullmatch(NUMERALS, name[:1]) and name[1:] in gaz.zone_role_words
        if name in gaz.zone_roles or role_token:
            continue  # 两城, 一带: the layout's own parts, not places
        iri = BASE_IRI + draft_slug("place", name)
        span = text.span(lo + a, lo + b)
        if iri not in out.new_places:
            cls = next(
                (
                    c
                    for e, c in sorted(gaz.place_endings.items(), key=lambda x: -len(x[0]))
                    if name.endswith(e) and len(name) > len(e)
                ),
                str(PG.Place),
            )
            out.new_places[iri] = NewPlace(iri, text.raw[lo + a : lo + b], cls, span)
            out.review.append(Review("new place", name, span, "listed in a layout", None, iri))
        found.append(Match(a, b, iri))
    return sorted(found, key=lambda m: m.start)


def _token(parts: list[tuple[str, str, tuple[str, str]]], role: str) -> str:
    return next("".join(p[2]) for p in parts if p[1] == role)


def _pieces(norm: str, lo: int, breaks: re.Pattern[str]) -> list[Span]:
    out = []
    for b in breaks.finditer(norm, lo):
        if b.start() > lo:
            out.append((lo, b.start()))
        lo = b.end()
    if lo < len(norm):
        out.append((lo, len(norm)))
    return out


def _functions(sentence: str, role: str, gaz: Gazetteer) -> list[str]:
    """建设金融科技应用示范城和核心技术创新城 → the stated functions, in order."""
    own = [w for w, c in gaz.zone_roles.items() if c == role and w in gaz.zone_role_words]
    m = re.search(r"(?:建设|打造|建成|形成)([^,;。]+)", sentence)
    if m is None or not own:
        return []
    names = [n.strip() for n in re.split(r"[和、及与]", m.group(1))]
    return [n for n in names if n and n.endswith(tuple(own)) and len(n) > 2]
