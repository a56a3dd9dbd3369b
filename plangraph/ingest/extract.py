"""Facts inside the elements: targets, institutions, responsibility tags, layouts, themes, basis.

Every fact keeps the source span it was read from. The patterns here are parsing rules (how a
number, a tag or a list is written); the words they look for come from the gazetteer, i.e. RDF.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal

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
DURATION = re.compile(r"用[ \t]*([\d一二两三四五六七八九十]+)[ \t]*年(?:左右)?(?:的)?时间")
IN_FORCE = re.compile(r"自(\d{4})年(\d{1,2})月(\d{1,2})日起(?:施行|实施)")
TAG_VALUE_END = re.compile(r"[;。)\]\n]")
TAG_SPLIT = re.compile(r"[、,/]|[ \t]+")  # not 和: 经济和信息化局 is one name
# What stops a name when reading leftwards from its ending: punctuation, function characters,
# and the verbs plans put before the bodies they name (parsing rules, not names).
NAME_STOP_CHARS = set("的和与及或在对为把被向从由以将等了是并其之各该到于给让使")
NAME_STOP_VERBS = re.compile(
    r"支持|推动|推进|建设|设立|成立|组建|筹建|依托|发挥|鼓励|引导|加强|联合|协同|配合|会同|协助|"
    r"打造|争取|积极|加快|参与|深化|落实|通过|围绕|吸引|引进|培育|搭建|构建|完善|发展|研究|"
    r"探索|提升|服务|面向|指导|组织|开展|举办|申报|对接|加入"
)
NAME_MAX = 20
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
    label: str
    types: list[str]
    span: Span
    parent: str | None = None  # pg:subOrganizationOf, for the units of a known body
    comment: tuple[str, str] | None = None


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
    years: tuple[int, int, Span] | None = None
    duration: tuple[int, Span] | None = None  # 力争用5年时间: the plan's length, no years given
    document_labels: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    basis: list[tuple[str, str, Span, bool]] = field(default_factory=list)  # iri, title, span, new
    themes: dict[int, list[str]] = field(default_factory=dict)  # id(element) → themes
    links: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # (property, IRI)
    new_institutions: dict[str, NewInstitution] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    layout: Layout | None = None
    warnings: list[str] = field(default_factory=list)


def draft_slug(kind: str, name: str) -> str:
    """A stable slug for a resource the registry lacks: same name, same IRI on every run."""
    return f"{kind}/draft-{hashlib.sha256(name.encode()).hexdigest()[:10]}"


def extract(source: Source, structure: Structure, gaz: Gazetteer, base: str) -> Extraction:
    out = Extraction(document_labels=gaz.document_labels)
    _head(source, structure, gaz, out)
    for element in structure.of("preamble")[:1]:
        _basis(element, gaz, base, out)
    for element in structure.elements:
        if element.kind in {"principle", "goal", "area", "task", "safeguard", "layout"}:
            out.themes[id(element)] = _themes(element, gaz)
        if element.kind in {"goal", "task", "safeguard"}:
            out.links[id(element)] = _institutions(element, gaz, base, out)
        if element.kind == "goal":
            out.targets.extend(_targets(element, gaz))
    _layout(structure, gaz, out)
    return out


# -- edition facts from the covering notice, title and closing clause ---------------------


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
        iri = gaz.institutions.get(name_key(para.norm))
        if iri is not None:
            out.issuer = Mention(iri, stretch.whole, para.raw)
    for para in structure.paras:
        found = DURATION.search(para.norm)
        years = cn_number(found.group(1)) if found else None
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


# -- institutions -------------------------------------------------------------------------


def _title_ranges(norm: str) -> list[Span]:
    return [m.span() for m in re.finditer(r"《[^》\n]*》", norm)]


def _inside(span: Span, ranges: list[Span]) -> bool:
    return any(lo <= span[0] and span[1] <= hi for lo, hi in ranges)


def _institutions(
    element: Element, gaz: Gazetteer, base: str, out: Extraction
) -> list[tuple[str, str]]:
    """Registry names, responsibility tags, and new bodies recognised by the form of their name."""
    full = element.full
    if full is None:
        return []
    norm = full.norm
    titles = _title_ranges(norm)
    links: list[tuple[str, str]] = []
    tagged: list[Span] = []

    def add(prop: str, iri: str) -> None:
        if (prop, iri) not in links:
            links.append((prop, iri))

    for word, value in _tags(norm, gaz):
        prop = gaz.role_words.get(word)
        if prop is None:
            out.warnings.append(
                f"responsibility word {word!r} is not a label of any institution role in the "
                "ontology, so its units are linked by pg:namesInstitution / 责任词未在本体中定义"
            )
            prop = str(PG.namesInstitution)
        tagged.append(value)
        pos = value[0]
        for name in TAG_SPLIT.split(norm[value[0] : value[1]]):
            start = norm.find(name, pos) if name.strip() else -1
            if len(name.strip()) < 2 or start < 0:
                continue
            pos = start + len(name)
            add(prop, _tagged_institution(name, full, (start, pos), gaz, base, out))
    named = gaz.matcher("institutions").find(norm)
    for m in named:
        if _inside((m.start, m.end), titles) or _inside((m.start, m.end), tagged):
            continue
        unit = _unit_of(m, norm, full, gaz, base, out)
        add(str(PG.namesInstitution), unit or m.value)
    for new in _by_form(norm, full, named, titles + tagged, gaz, base, out):
        add(str(PG.namesInstitution), new)
    return [(p, i) for p, i in links if not (p == str(PG.namesInstitution) and _stated(links, i))]


def _tags(norm: str, gaz: Gazetteer) -> list[tuple[str, Span]]:
    """`牵头单位：A；配合单位：B、C`: each role word (from the ontology, or any …单位) and the
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


def _stated(links: list[tuple[str, str]], iri: str) -> bool:
    return any(i == iri and p != str(PG.namesInstitution) for p, i in links)


def _type_of(name: str, gaz: Gazetteer) -> str | None:
    for ending in sorted(gaz.type_endings, key=len, reverse=True):
        if name.endswith(ending):
            return gaz.type_endings[ending]
    return None


def _new(
    name: str, raw: str, span: Span, types: list[str], base: str, out: Extraction, **kw: object
) -> str:
    iri = base + draft_slug("institution", name)
    if iri not in out.new_institutions:
        out.new_institutions[iri] = NewInstitution(iri, raw, types, span, **kw)  # type: ignore[arg-type]
    return iri


def _tagged_institution(
    name: str, full: Stretch, at: Span, gaz: Gazetteer, base: str, out: Extraction
) -> str:
    key = name_key(name)
    if key in gaz.institutions:
        return gaz.institutions[key]
    raw = full.raw[at[0] : at[1]].strip()
    known = gaz.matcher("institutions").find(key)
    if (
        known
        and known[0].start == 0
        and str(PG.CentralBank) in gaz.institution_types.get(known[0].value, set())
    ):  # 中国人民银行上海分行: a unit of the central bank
        unit = [str(PG.CentralBankUnit)]
        return _new(key, raw, full.span(*at), unit, base, out, parent=known[0].value)
    cls = _type_of(key, gaz)
    comment = None
    if cls is None:
        cls = str(PG.GovernmentBody)
        comment = UNTYPED
    return _new(key, raw, full.span(*at), [cls], base, out, comment=comment)


def _unit_of(
    m: Match, norm: str, full: Stretch, gaz: Gazetteer, base: str, out: Extraction
) -> str | None:
    """人民银行数字货币研究所-like: a central bank named, then a unit of it by its form."""
    if str(PG.CentralBank) not in gaz.institution_types.get(m.value, set()):
        return None
    end = m.end
    while end < len(norm) and end - m.end < NAME_MAX and _name_char(norm[end]):
        end += 1
    suffix = norm[m.end : end]
    verb = NAME_STOP_VERBS.search(suffix)
    if verb is not None:
        suffix = suffix[: verb.start()]
    for k in range(len(suffix), 1, -1):
        if _type_of(suffix[:k], gaz) is not None:
            stop = m.end + k
            return _new(
                norm[m.start : stop],
                full.raw[m.start : stop],
                full.span(m.start, stop),
                [str(PG.CentralBankUnit)],
                base,
                out,
                parent=m.value,
            )
    return None


def _name_char(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" and ch not in NAME_STOP_CHARS


def _by_form(
    norm: str,
    full: Stretch,
    named: list[Match],
    skip: list[Span],
    gaz: Gazetteer,
    base: str,
    out: Extraction,
) -> list[str]:
    """New bodies: a name ending the way an institution type's names end (…研究院, …协会), that
    starts with a jurisdiction or registered place (上海市…, 中关村…) or 中国/全国/国家/国际."""
    if not gaz.type_endings:
        return []
    taken = [(m.start, m.end) for m in named] + skip
    found = []
    for m in gaz.pattern("type_endings").finditer(norm):
        end = m.end()
        if any(lo < end and m.start() < hi for lo, hi in taken):
            continue
        start = m.start()
        while start > 0 and end - start < NAME_MAX and _name_char(norm[start - 1]):
            start -= 1
        run = norm[start:end]
        verbs = list(NAME_STOP_VERBS.finditer(run[: m.start() - start]))
        if verbs:
            start += verbs[-1].end()
        offset = _proper_start(norm[start : m.start()], gaz)
        if offset is None:
            continue
        start += offset
        if end - start < len(m.group()) + 2:
            continue
        name = norm[start:end]
        cls = gaz.type_endings[m.group()]
        found.append(_new(name, full.raw[start:end], full.span(start, end), [cls], base, out))
        taken.append((start, end))
    return found


NATIONAL = ("中国", "中华", "全国", "国家")
NATIONAL_MIDDLE_MIN = 3  # 国家金融监管部门 is a category; 中国互联网金融协会 a name


def _proper_start(stem: str, gaz: Gazetteer) -> int | None:
    """Where a proper name starts in the text before a type ending: at a jurisdiction that
    government bodies are named after (上海市, 西城区; from the registry), at 市/区 opening the
    run, or at 中国/全国/国家 with a distinctive middle part."""
    for i in range(len(stem) - 1):
        rest = stem[i:]
        if any(rest.startswith(j) for j in gaz.jurisdictions):
            return i
        national = rest.startswith(NATIONAL) and not rest.startswith(("国家级", "全国性"))
        if national and len(rest) - 2 >= NATIONAL_MIDDLE_MIN:
            return i
    if stem[:1] in ("市", "省", "区", "县") and len(stem) >= 3:
        return 0
    return None


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


def _layout(structure: Structure, gaz: Gazetteer, out: Extraction) -> None:
    """A layout phrase (一核多点, 两城、一带、一港) and, for each of its parts, the places the
    text lists for it: by a role word in the clause, or in the order the phrase names them."""
    roles = {w: c for w, c in gaz.zone_roles.items() if len(w) == 1}
    if not roles:
        return
    chars = "".join(roles)
    phrase = re.compile(rf"(?:[一二两三四五六七八九十多][{chars}][、,]?){{2,}}")
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
        parts = [
            (p[0], roles[p[1]], p)
            for p in re.findall(rf"([一二两三四五六七八九十多])([{chars}])", m.group())
        ]
        layout = Layout(label, text.span(m.start(), m.start() + len(label)), element)
        layout.zones = _zones(text, m.end(), parts, gaz)
        if out.layout is None or (layout.zones and not out.layout.zones):
            out.layout = layout  # the first mention, unless a later one lists the places
        if layout.zones:
            return


def _zones(
    text: Stretch, after: int, parts: list[tuple[str, str, tuple[str, str]]], gaz: Gazetteer
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
            places = gaz.matcher("places").find(clause)
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
    chars = [w for w, c in gaz.zone_roles.items() if c == role and len(w) == 1]
    m = re.search(r"(?:建设|打造|建成|形成)([^,;。]+)", sentence)
    if m is None or not chars:
        return []
    names = [n.strip() for n in re.split(r"[和、及与]", m.group(1))]
    return [n for n in names if n and n[-1] in chars and len(n) > 2]
